// switchMs in 'upgrade' and 'rollback' events: how long the switch took, so a positive number
// no longer than the call that made it, on every path that emits one (a plain upgrade, a
// watched upgrade that passes, the watch's automatic rollback, a rollback()).
import type { RollbackEvent, UpgradeEvent } from 'hotworker';
import { describe, expect, it } from 'vitest';
import { rolloutSource, traffic } from './support/traffic.js';
import { workspace } from './support/workspace.js';

type Rollout = typeof import('./fixtures/rollout.ts');

function expectSwitch(event: UpgradeEvent | RollbackEvent, elapsedMs: number): void {
  expect(event.switchMs).toBeGreaterThan(0);
  expect(event.switchMs).toBeLessThanOrEqual(elapsedMs);
}

describe('switchMs', () => {
  it('a plain upgrade and a rollback() each report a switch within the time they took', async () => {
    const ws = workspace();
    const entry = ws.write('rollout.ts', ws.fixture('rollout.ts'));
    const mod = await ws.hot<Rollout>(entry, { threads: 1 });
    const upgraded = new Promise<UpgradeEvent>((resolve) => mod.once('upgrade', resolve));
    ws.write('rollout.ts', rolloutSource(ws.fixture('rollout.ts'), { VERSION: 2 }));
    let started = performance.now();
    await mod.upgrade();
    expectSwitch(await upgraded, performance.now() - started);

    const rolledBack = new Promise<RollbackEvent>((resolve) => mod.once('rollback', resolve));
    started = performance.now();
    await mod.rollback();
    expectSwitch(await rolledBack, performance.now() - started);
  });

  it('a watched upgrade that passes reports the switch when the watch ends', async () => {
    const ws = workspace();
    const entry = ws.write('rollout.ts', ws.fixture('rollout.ts'));
    const mod = await ws.hot<Rollout>(entry, { threads: 1 });
    const upgraded = new Promise<UpgradeEvent>((resolve) => mod.once('upgrade', resolve));
    ws.write('rollout.ts', rolloutSource(ws.fixture('rollout.ts'), { VERSION: 2 }));
    const started = performance.now();
    await mod.upgrade({ rollbackOn: { errorRate: 0.05, calls: 5 } });
    for (let i = 0; i < 5; i++) expect(await mod.api.work()).toBe(2);
    const event = await upgraded;
    expectSwitch(event, performance.now() - started);
  });

  it("the watch's automatic rollback reports its own switch", async () => {
    const ws = workspace();
    const entry = ws.write('rollout.ts', ws.fixture('rollout.ts'));
    const mod = await ws.hot<Rollout>(entry, { threads: 1, rollbackOn: { errorRate: 0.05, calls: 20, withinMs: 60_000 } });
    const rolledBack = new Promise<RollbackEvent>((resolve) => mod.once('rollback', resolve));
    ws.write('rollout.ts', rolloutSource(ws.fixture('rollout.ts'), { VERSION: 2, FAIL_EVERY: 2 }));
    const started = performance.now();
    await mod.upgrade();
    const load = traffic(() => mod.api.work(), 2);
    const event = await rolledBack;
    await load.stop();
    expect(event).toMatchObject({ reason: 'auto', from: { id: 2 }, to: { id: 1 } });
    expectSwitch(event, performance.now() - started);
  });
});
