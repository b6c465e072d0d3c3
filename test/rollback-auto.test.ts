import type { RollbackEvent, UpgradeEvent } from 'hotworker';
import { describe, expect, it } from 'vitest';
import { rolloutSource, traffic } from './support/traffic.js';
import { workspace } from './support/workspace.js';

type Rollout = typeof import('./fixtures/rollout.ts');

describe('rollbackOn: the watch after a plain upgrade', () => {
  it('shifts straight back to the kept pool when the new version crosses errorRate', async () => {
    const ws = workspace();
    const entry = ws.write('rollout.ts', ws.fixture('rollout.ts'));
    const mod = await ws.hot<Rollout>(entry, { threads: 2, rollbackOn: { errorRate: 0.05, calls: 100, withinMs: 60_000 } });
    const keptThreads = mod.stats.alive[0]?.threadIds;
    const rolledBack = new Promise<RollbackEvent>((resolve) => mod.once('rollback', resolve));
    let upgrades = 0;
    mod.on('upgrade', () => upgrades++);

    ws.write('rollout.ts', rolloutSource(ws.fixture('rollout.ts'), { VERSION: 2, FAIL_EVERY: 4 }));
    const version = await mod.upgrade();
    expect(version.id).toBe(2);
    expect(mod.rollout).toMatchObject({ kind: 'watch', from: { id: 1 }, to: { id: 2 } });
    // The old pool is kept, idle, during the watch.
    expect(mod.stats.alive.map((alive) => alive.version.id).sort()).toEqual([1, 2]);

    const load = traffic(() => mod.api.work(), 4);
    const event = await rolledBack;
    const outcomes = await load.stop();

    // Back to the kept pool: no thread was booted or handed anything.
    expect(event).toMatchObject({ reason: 'auto', from: { id: 2 }, to: { id: 1 }, standby: false, figures: { errors: 6 } });
    expect(event.figures?.errors).toBeGreaterThan(0.05 * 100);
    expect(mod.version.id).toBe(1);
    expect(mod.history.map((kept) => kept.id)).toEqual([1]);
    expect(mod.rollout).toBeUndefined();
    // A shift, not a pool start: the same workers serve again.
    expect(mod.stats.alive.map((alive) => alive.threadIds)).toEqual([keptThreads]);
    expect(await mod.api.work()).toBe(1);
    expect(upgrades).toBe(0);
    for (const outcome of outcomes) if ('error' in outcome) expect(outcome.error).toMatchObject({ code: 'ERR_HOT_CLONE', version: 2 });
  });

  it('ends the kept pool once the new version served its first calls within errorRate', async () => {
    const ws = workspace();
    const entry = ws.write('rollout.ts', ws.fixture('rollout.ts'));
    const mod = await ws.hot<Rollout>(entry, { threads: 1 });
    const upgraded = new Promise<UpgradeEvent>((resolve) => mod.once('upgrade', resolve));
    ws.write('rollout.ts', rolloutSource(ws.fixture('rollout.ts'), { VERSION: 2 }));
    await mod.upgrade({ rollbackOn: { errorRate: 0.05, calls: 20 } });
    expect(mod.stats.alive).toHaveLength(2);
    for (let i = 0; i < 20; i++) expect(await mod.api.work()).toBe(2);
    expect(await upgraded).toMatchObject({ from: { id: 1 }, to: { id: 2 } });
    expect(mod.stats.alive.map((alive) => alive.version.id)).toEqual([2]);
    expect(mod.rollout).toBeUndefined();
  });

  it('rollback() during the watch shifts back to the kept pool; a next upgrade ends the watch', async () => {
    const ws = workspace();
    const entry = ws.write('rollout.ts', ws.fixture('rollout.ts'));
    const mod = await ws.hot<Rollout>(entry, { threads: 1, rollbackOn: { errorRate: 0.5, calls: 1_000 } });
    const kept = mod.stats.alive[0]?.threadIds;
    const events: RollbackEvent[] = [];
    mod.on('rollback', (event) => events.push(event));
    ws.write('rollout.ts', rolloutSource(ws.fixture('rollout.ts'), { VERSION: 2 }));
    await mod.upgrade();
    expect((await mod.rollback()).id).toBe(1);
    expect(events).toMatchObject([{ reason: 'manual', from: { id: 2 }, to: { id: 1 } }]);
    expect(mod.stats.alive.map((alive) => alive.threadIds)).toEqual([kept]);

    const upgraded = new Promise<UpgradeEvent>((resolve) => mod.once('upgrade', resolve));
    ws.write('rollout.ts', rolloutSource(ws.fixture('rollout.ts'), { VERSION: 3 }));
    await mod.upgrade();
    ws.write('rollout.ts', rolloutSource(ws.fixture('rollout.ts'), { VERSION: 4 }));
    await mod.upgrade({ rollbackOn: false });
    expect(await upgraded).toMatchObject({ from: { id: 1 }, to: { id: 3 } });
    expect(mod.stats.alive.map((alive) => alive.version.id)).toEqual([4]);
    expect(await mod.api.work()).toBe(4);
  });

  it('validates rollbackOn', async () => {
    const ws = workspace();
    const entry = ws.copy('rollout.ts');
    await expect(ws.hot(entry, { rollbackOn: { errorRate: 1.5 } })).rejects.toMatchObject({
      code: 'ERR_HOT_INVALID_OPTION',
      message: expect.stringContaining('rollbackOn.errorRate'),
    });
    await expect(ws.hot(entry, { rollbackOn: { errorRate: 0.1, calls: 0 } })).rejects.toMatchObject({ code: 'ERR_HOT_INVALID_OPTION' });
    await expect(ws.hot(entry, { rollbackOn: { errorRate: 0.1, within: 5 } as never })).rejects.toMatchObject({
      message: expect.stringContaining('Unknown rollbackOn option `within`'),
    });
  });
  it('withinMs: Infinity keeps the watch open until its calls have come, with no timer', async () => {
    const ws = workspace();
    const entry = ws.write('rollout.ts', ws.fixture('rollout.ts'));
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    ws.defer(() => process.off('warning', onWarning));
    const mod = await ws.hot<Rollout>(entry, { threads: 1, rollbackOn: { errorRate: 0.5, calls: 5, withinMs: Number.POSITIVE_INFINITY } });
    ws.write('rollout.ts', rolloutSource(ws.fixture('rollout.ts'), { VERSION: 2 }));
    const watched = new Promise<UpgradeEvent>((resolve) => mod.once('upgrade', resolve));
    await mod.upgrade();
    for (let call = 0; call < 4; call++) await mod.api.work();
    expect(mod.rollout).toMatchObject({ kind: 'watch', to: { id: 2 } });
    await mod.api.work();
    expect(await watched).toMatchObject({ from: { id: 1 }, to: { id: 2 } });
    expect(mod.rollout).toBeUndefined();
    // A timer given Infinity would have fired at once, with Node's TimeoutOverflowWarning.
    expect(warnings.filter((warning) => warning.name === 'TimeoutOverflowWarning')).toEqual([]);
  });
});
