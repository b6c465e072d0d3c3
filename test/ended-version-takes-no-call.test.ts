// A version that has been ended takes no more work: piscina, once destroyed, would start a new
// worker for a task sent to it, running that version again where nothing would ever end it.
import type { UpgradeEvent } from 'hotworker';
import { describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

type MapFixture = typeof import('./fixtures/map.ts');

/** A promise and its resolver, for a step the test decides when to take. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

describe('an ended version takes no call', () => {
  it('a verify() that calls its api after the upgrade failed gets ERR_HOT_WORKER_EXIT, not a new thread', async () => {
    const ws = workspace();
    const upgradeFailed = deferred();
    let lateCall: Promise<number> | undefined;
    let checking = false;
    const mod = await ws.hot<MapFixture>(ws.copy('map.ts'), {
      threads: 1,
      standby: false,
      loadTimeout: 200,
      verify: async (api: { square(n: number): Promise<number> }) => {
        if (!checking) return;
        // Outlives loadTimeout, then calls the version the failed upgrade has ended.
        await upgradeFailed.promise;
        lateCall = api.square(3);
        await lateCall.catch(() => undefined);
      },
    });
    checking = true;
    ws.write('map.ts', ws.fixture('map.ts').replace("VERSION = 'v1'", "VERSION = 'v2'"));
    await expect(mod.upgrade()).rejects.toMatchObject({ code: 'ERR_HOT_VERIFY' });
    upgradeFailed.resolve();
    await expect.poll(() => lateCall !== undefined).toBe(true);
    await expect(lateCall).rejects.toMatchObject({ code: 'ERR_HOT_WORKER_EXIT', version: 2, fn: 'square' });
    expect((await mod.api.where(1)).version).toBe('v1');
  });

  it('a map() whose inputs come after drainTimeout cut its version rejects ERR_HOT_WORKER_EXIT', async () => {
    const ws = workspace();
    const mod = await ws.hot<MapFixture>(ws.copy('map.ts'), { threads: 1, standby: false, drainTimeout: 50 });
    const upgraded = deferred();
    async function* inputs(): AsyncGenerator<number> {
      yield 1;
      // The rest comes only once the upgrade has ended version 1 at its drainTimeout.
      await upgraded.promise;
      yield 2;
    }
    const mapped = mod.map('where', inputs(), { chunkSize: 1 });
    const event = new Promise<UpgradeEvent>((resolve) => mod.once('upgrade', resolve));
    ws.write('map.ts', ws.fixture('map.ts').replace("VERSION = 'v1'", "VERSION = 'v2'"));
    await mod.upgrade();
    expect((await event).killed).toBe(1);
    upgraded.resolve();
    await expect(mapped).rejects.toMatchObject({ code: 'ERR_HOT_WORKER_EXIT', version: 1, fn: 'where' });
    expect(mod.stats.alive.map((generation) => generation.version.id)).toEqual([2]);
  });
});
