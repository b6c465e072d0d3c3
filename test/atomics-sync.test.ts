/**
 * The module option `atomics: 'sync'`: an idle worker blocks in Atomics.wait, as in piscina's
 * default. Calls, crashes and upgrades (on standby workers and on fresh pools) work as they do
 * with 'async'; what a call leaves running waits until a later call lets the worker's event
 * loop turn, where with 'async' it runs while the worker is idle.
 */
import type { HotModule, UpgradeEvent } from 'hotworker';
import { describe, expect, it } from 'vitest';
import { newFlag, whenSet } from './support/flag.js';
import { type Workspace, workspace } from './support/workspace.js';

type LeavesRunning = typeof import('./fixtures/leaves-running.ts');
type Faults = typeof import('./fixtures/faults.ts');
type Replacing = typeof import('./fixtures/exits-while-replacing.ts');

async function upgradeTo(ws: Workspace, mod: HotModule<LeavesRunning>, edition: number): Promise<UpgradeEvent> {
  ws.write('leaves-running.ts', `${ws.fixture('leaves-running.ts')}\nexport const edition = ${edition};\n`);
  const event = new Promise<UpgradeEvent>((resolve) => mod.once('upgrade', resolve));
  await mod.upgrade();
  return event;
}

describe("atomics: 'sync'", () => {
  it('what a call leaves running waits while the worker is idle, and runs in a later call that lets the loop turn', async () => {
    const ws = workspace();
    const mod = await ws.hot<LeavesRunning>(ws.copy('leaves-running.ts'), { threads: 1, atomics: 'sync', standby: false });
    const flag = newFlag();
    expect(await mod.api.leaveRunning(flag)).toBe(0);
    // Nothing can run in the parked worker: the wait only bounds that "never".
    expect(await whenSet(flag, 300)).toBe('timed-out');
    expect(await mod.api.turnLoop(flag)).toBe(1);
  });

  it('work a call left that throws fails the later call that lets the loop turn, and the worker is replaced', async () => {
    const ws = workspace();
    const mod = await ws.hot<LeavesRunning>(ws.copy('leaves-running.ts'), { threads: 1, atomics: 'sync', standby: false });
    const crashes: unknown[] = [];
    mod.on('crash', (event) => crashes.push(event));
    const before = await mod.api.thread();
    expect(await mod.api.leaveThrow('left behind')).toBe('left');
    // Parked: it cannot throw before a call comes, and this one does not let the loop turn.
    expect(await mod.api.thread()).toBe(before);
    const flag = newFlag();
    const error = await mod.api.turnLoop(flag).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'ERR_HOT_WORKER_EXIT', cause: { message: 'left behind' } });
    expect(await mod.api.thread()).not.toBe(before);
    await expect.poll(() => crashes.length).toBe(1);
  });

  it("with 'async' it runs while the worker is idle", async () => {
    const ws = workspace();
    const mod = await ws.hot<LeavesRunning>(ws.copy('leaves-running.ts'), { threads: 1, atomics: 'async', standby: false });
    const flag = newFlag();
    expect(await mod.api.leaveRunning(flag)).toBe(0);
    expect(await whenSet(flag, 10_000)).not.toBe('timed-out');
  });

  it('upgrades on standby workers, and on a fresh pool, onto threads that never ran the old version', async () => {
    const ws = workspace();
    const onStandby = await ws.hot<LeavesRunning>(ws.copy('leaves-running.ts'), { threads: 2, atomics: 'sync', standbyDelay: 0 });
    const ran = new Set(await Promise.all(Array.from({ length: 8 }, () => onStandby.api.thread())));
    await expect.poll(() => onStandby.stats.standby.ready, { timeout: 15_000 }).toBe(true);
    expect((await upgradeTo(ws, onStandby, 2)).standby).toBe(true);
    for (const id of await Promise.all(Array.from({ length: 8 }, () => onStandby.api.thread()))) expect(ran.has(id)).toBe(false);

    const other = workspace();
    const fresh = await other.hot<LeavesRunning>(other.copy('leaves-running.ts'), { threads: 2, atomics: 'sync', standby: false });
    expect((await upgradeTo(other, fresh, 2)).standby).toBe(false);
    expect(fresh.version.id).toBe(2);
  });

  it('a worker that exits in a call is replaced, and the next call answers', async () => {
    const ws = workspace();
    const mod = await ws.hot<Faults>(ws.copy('faults.ts'), { threads: 1, atomics: 'sync', standby: false });
    const before = await mod.api.thread();
    await expect(mod.api.exit(3)).rejects.toMatchObject({ code: 'ERR_HOT_WORKER_EXIT' });
    expect(await mod.api.thread()).not.toBe(before);
  });

  it.each(['sync', 'async'] as const)('%s: a replacement that exits while it loads is replaced in turn', async (atomics) => {
    const ws = workspace();
    ws.copy('helpers/start-order.ts');
    const entry = ws.write('module.ts', ws.fixture('exits-while-replacing.ts').replace("'__DIR__'", JSON.stringify(ws.dir)));
    const mod = await ws.hot<Replacing>(entry, { threads: 1, atomics, standby: false });
    expect(await mod.api.version()).toBe(1);
    await expect(mod.api.exit(3)).rejects.toMatchObject({ code: 'ERR_HOT_WORKER_EXIT' });
    // Workers 2 and 3 exit while loading; piscina counted each ready, so it starts the next.
    expect(await mod.api.version()).toBe(4);
  });
});
