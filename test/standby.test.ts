import { rmSync } from 'node:fs';
import type { HotModule, UpgradeEvent } from 'hotworker';
import { describe, expect, it } from 'vitest';
import { Generation } from '../dist/src/generation.js';
import { Standby } from '../dist/src/standby.js';
import { firstVersion, ONE_THREAD } from './support/generation.js';
import { canCountThreads, osThreadCount, threadsAfterSettling } from './support/threads.js';
import { type Workspace, workspace } from './support/workspace.js';

type Faults = typeof import('./fixtures/faults.ts');

/** Rewrites the copied fixture so the next upgrade builds a new version. */
function edit(ws: Workspace, edition: number): void {
  ws.write('faults.ts', `${ws.fixture('faults.ts')}\nexport const edition = ${edition};\n`);
}

async function standbyReady(mod: HotModule<Faults>): Promise<number[]> {
  await expect.poll(() => mod.stats.standby.ready, { timeout: 15_000 }).toBe(true);
  return mod.stats.standby.threadIds;
}

/** Every thread that answers `calls` calls. */
async function answering(mod: HotModule<Faults>, calls = 20): Promise<Set<number>> {
  return new Set(await Promise.all(Array.from({ length: calls }, () => mod.api.thread())));
}

describe('standby workers', () => {
  it('take each upgrade on threads that never ran user code, and a new set boots after the shift', async () => {
    const ws = workspace();
    const mod = await ws.hot<Faults>(ws.copy('faults.ts'), { threads: 2, standbyDelay: 0 });
    const ranUserCode = await answering(mod);
    const events: UpgradeEvent[] = [];
    mod.on('upgrade', (event) => events.push(event));

    for (let edition = 2; edition <= 3; edition++) {
      const standby = await standbyReady(mod);
      expect(standby).toHaveLength(2);
      for (const id of standby) expect(ranUserCode.has(id)).toBe(false);
      edit(ws, edition);
      await mod.upgrade();
      expect(events.at(-1)?.standby).toBe(true);
      // The new version runs on exactly the standby threads, none of which ran the old one.
      expect(new Set(mod.stats.alive[0]?.threadIds)).toEqual(new Set(standby));
      for (const id of await answering(mod)) {
        expect(ranUserCode.has(id)).toBe(false);
        ranUserCode.add(id);
      }
    }
  });

  it('hand the version to workers the pool starts later (a respawn after a crash, with the cache deleted)', async () => {
    const ws = workspace();
    const mod = await ws.hot<Faults>(ws.copy('faults.ts'), { threads: 1, standbyDelay: 0 });
    await standbyReady(mod);
    edit(ws, 2);
    await mod.upgrade();
    expect(mod.stats.alive[0]?.threadIds).toHaveLength(1);
    const [first] = await answering(mod, 1);
    // The handoff carries the bundle's bytes too: the replacement restores a deleted bundle.
    rmSync(ws.cacheDir, { recursive: true, force: true });
    await expect(mod.api.exit(3)).rejects.toMatchObject({ code: 'ERR_HOT_WORKER_EXIT' });
    // The replacement boots after the handoff: it reads the bundle at once and answers.
    expect(await mod.api.echo('after')).toBe('after');
    const [second] = await answering(mod, 1);
    expect(second).not.toBe(first);
  });

  it('take an upgrade that comes before they are ready: it waits for them rather than booting threads of its own', async () => {
    const ws = workspace();
    const mod = await ws.hot<Faults>(ws.copy('faults.ts'), { threads: 1 });
    const upgraded = new Promise<UpgradeEvent>((resolve) => mod.once('upgrade', resolve));
    edit(ws, 2);
    await mod.upgrade();
    expect((await upgraded).standby).toBe(true);
  });

  it('are not used when off (standby: false): every upgrade boots threads', async () => {
    const ws = workspace();
    const mod = await ws.hot<Faults>(ws.copy('faults.ts'), { threads: 1, standby: false });
    expect(mod.stats.standby).toEqual({ ready: false, threadIds: [] });
    edit(ws, 2);
    const upgraded = new Promise<UpgradeEvent>((resolve) => mod.once('upgrade', resolve));
    await mod.upgrade();
    expect((await upgraded).standby).toBe(false);
    expect(mod.stats.standby.threadIds).toEqual([]);
  });

  it('end with close(), ready, still booting, or not started yet', async () => {
    const ws = workspace();
    const before = osThreadCount();
    const scheduled = await ws.hot<Faults>(ws.copy('faults.ts', 'a.ts'), { threads: 1 });
    const ready = await ws.hot<Faults>(ws.copy('faults.ts', 'b.ts'), { threads: 1 });
    const booting = await ws.hot<Faults>(ws.copy('faults.ts', 'c.ts'), { threads: 1 });
    await standbyReady(ready);
    await expect.poll(() => booting.stats.standby.threadIds.length, { timeout: 15_000 }).toBe(1);
    await Promise.all([scheduled.close(), ready.close(), booting.close()]);
    for (const mod of [scheduled, ready, booting]) expect(mod.stats.standby.threadIds).toEqual([]);
    if (canCountThreads) expect(await threadsAfterSettling(before)).toBeLessThanOrEqual(before);
  });
});

describe('a standby pool not ready yet', () => {
  it('is left alone: the version starts on a fresh pool, and the standby stays for a later upgrade', async () => {
    const ws = workspace();
    const { artifact, version } = await firstVersion(ws, 'faults.ts');
    const standby = new Standby(ONE_THREAD);
    ws.defer(() => standby.destroy());
    // Booting takes far longer than this synchronous check: the standby cannot be ready yet.
    expect(standby.ready).toBe(false);
    const generation = await Generation.start(artifact, version, ONE_THREAD, undefined, standby);
    ws.defer(() => generation.destroy('test over'));
    expect(generation.fromStandby).toBe(false);
    expect(await generation.run('echo', ['fresh'])).toBe('fresh');
    await standby.whenReady();
    expect(standby.claimed).toBe(false);
    for (const id of standby.threadIds) expect(generation.threadIds).not.toContain(id);
  });
});
