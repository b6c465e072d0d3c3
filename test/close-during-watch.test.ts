// close() while the watch after an upgrade runs: the watch ends, both versions' workers end,
// and no 'upgrade' (nor 'rollback') is emitted for a module that no longer serves either version.
import { setImmediate as turn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { rolloutSource } from './support/traffic.js';
import { workspace } from './support/workspace.js';

type Rollout = typeof import('./fixtures/rollout.ts');

describe('close() during the watch after an upgrade', () => {
  it('ends both versions and emits only close', async () => {
    const ws = workspace();
    const entry = ws.write('rollout.ts', ws.fixture('rollout.ts'));
    const mod = await ws.hot<Rollout>(entry, { threads: 1, standby: false, rollbackOn: { errorRate: 0.5, calls: 1_000 } });
    const events: string[] = [];
    for (const name of ['upgrade', 'rollback', 'close'] as const) mod.on(name, () => events.push(name));
    ws.write('rollout.ts', rolloutSource(ws.fixture('rollout.ts'), { VERSION: 2 }));
    await mod.upgrade();
    expect(mod.rollout).toMatchObject({ kind: 'watch', from: { id: 1 }, to: { id: 2 } });
    expect(await mod.api.work()).toBe(2);

    await mod.close();
    // Whatever the ended watch still had to do has run by now.
    await turn();
    await turn();
    expect(events).toEqual(['close']);
    expect(mod.stats.alive).toEqual([]);
  });
});
