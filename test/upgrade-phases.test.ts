// upgrade({ onPhase }): the library's promise to progress displays. Each phase as it begins,
// in order, with its fields: `load` the new version and its threads, `verify` (only with a
// `verify` option) and `shift` the new version, `drain` the calls the old one still has;
// `ms` grows from the start of the upgrade. The CLI's display has tests of its own.
import type { HotModule, UpgradeEvent, UpgradeProgress } from 'hotworker';
import { describe, expect, it } from 'vitest';
import { type Workspace, workspace } from './support/workspace.js';

type MapFixture = typeof import('./fixtures/map.ts');

function nextVersion(ws: Workspace, version: string): void {
  ws.write('map.ts', ws.fixture('map.ts').replace("VERSION = 'v1'", `VERSION = '${version}'`));
}

/** The phases without their times, after checking the times: finite, from zero up, never back. */
function phases(seen: UpgradeProgress[]): Omit<UpgradeProgress, 'ms'>[] {
  let last = 0;
  for (const { ms } of seen) {
    expect(Number.isFinite(ms)).toBe(true);
    expect(ms).toBeGreaterThanOrEqual(last);
    last = ms;
  }
  return seen.map(({ ms: _, ...rest }) => rest);
}

/** Starts a call that runs until `release()`, and resolves once a worker runs it. */
async function heldCall(mod: HotModule<MapFixture>): Promise<{ done: Promise<string>; release: () => void }> {
  const cells = new Int32Array(new SharedArrayBuffer(8));
  const done = mod.api.counted({ cells, hold: true });
  await expect.poll(() => Atomics.load(cells, 0), { timeout: 10_000 }).toBe(1);
  return {
    done,
    release: () => {
      Atomics.store(cells, 1, 1);
      Atomics.notify(cells, 1);
    },
  };
}

describe('upgrade({ onPhase })', () => {
  it('on fresh threads (standby: false): build, load, shift, drain, with the calls the old version still runs', async () => {
    const ws = workspace();
    const mod = await ws.hot<MapFixture>(ws.copy('map.ts'), { threads: 2, standby: false });
    const held = await heldCall(mod);
    const upgraded = new Promise<UpgradeEvent>((resolve) => mod.once('upgrade', resolve));
    const seen: UpgradeProgress[] = [];
    nextVersion(ws, 'v2');
    await mod.upgrade({
      onPhase: (progress) => {
        seen.push(progress);
        // The drain waits for the held call: let it finish once the drain begins.
        if (progress.phase === 'drain') held.release();
      },
    });
    expect(phases(seen)).toEqual([
      { phase: 'build' },
      { phase: 'load', version: 2, threads: 2 },
      { phase: 'shift', version: 2 },
      { phase: 'drain', version: 2, inFlight: 1 },
    ]);
    // The upgrade took time between its first and last phase: the clock runs.
    expect(seen.at(-1)?.ms).toBeGreaterThan(seen[0]?.ms ?? Number.POSITIVE_INFINITY);
    expect(await held.done).toBe('v1');
    expect((await upgraded).standby).toBe(false);
  });

  it('on standby threads, with a verify option: build, load, verify, shift, drain', async () => {
    const ws = workspace();
    const verified: number[] = [];
    const mod = await ws.hot<MapFixture>(ws.copy('map.ts'), {
      threads: 1,
      standbyDelay: 0,
      verify: async (api: { square(n: number): Promise<number> }) => {
        verified.push(await api.square(3));
      },
    });
    await expect.poll(() => mod.stats.standby.ready, { timeout: 15_000 }).toBe(true);
    const upgraded = new Promise<UpgradeEvent>((resolve) => mod.once('upgrade', resolve));
    const seen: UpgradeProgress[] = [];
    nextVersion(ws, 'v2');
    await mod.upgrade({ onPhase: (progress) => seen.push(progress) });
    expect(phases(seen)).toEqual([
      { phase: 'build' },
      { phase: 'load', version: 2, threads: 1 },
      { phase: 'verify', version: 2 },
      { phase: 'shift', version: 2 },
      { phase: 'drain', version: 2, inFlight: 0 },
    ]);
    // verify ran for the first version and for this one.
    expect(verified).toEqual([9, 9]);
    expect((await upgraded).standby).toBe(true);
  });

  it('a watched upgrade ends with the shift (the old version is kept, not drained); an unchanged source stops after build', async () => {
    const ws = workspace();
    const mod = await ws.hot<MapFixture>(ws.copy('map.ts'), { threads: 1, standby: false });
    const watched: UpgradeProgress[] = [];
    nextVersion(ws, 'v2');
    await mod.upgrade({ rollbackOn: { errorRate: 0.5, calls: 1_000 }, onPhase: (progress) => watched.push(progress) });
    expect(phases(watched)).toEqual([{ phase: 'build' }, { phase: 'load', version: 2, threads: 1 }, { phase: 'shift', version: 2 }]);

    const unchanged: UpgradeProgress[] = [];
    expect((await mod.upgrade({ rollbackOn: false, onPhase: (progress) => unchanged.push(progress) })).id).toBe(2);
    expect(phases(unchanged)).toEqual([{ phase: 'build' }]);
  });

  it('close() as the load begins stops the upgrade: ERR_HOT_CLOSED saying it was the upgrade', async () => {
    const ws = workspace();
    const entry = ws.copy('map.ts');
    const mod = await ws.hot<MapFixture>(entry, { threads: 1, standby: false });
    nextVersion(ws, 'v2');
    let closing: Promise<void> | undefined;
    const error = await mod
      .upgrade({
        onPhase: (progress) => {
          if (progress.phase === 'load') closing = mod.close();
        },
      })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'ERR_HOT_CLOSED', message: `Cannot upgrade: the module ${entry} is closed` });
    await closing;
    expect(mod.version.id).toBe(1);
  });
});
