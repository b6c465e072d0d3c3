// verify is a smoke check of each *new* version: it runs on the first load and on every
// upgrade, never on a rollback (the version rolled back to passed it when it was new).
import { describe, expect, it } from 'vitest';
import { rolloutSource } from './support/traffic.js';
import { workspace } from './support/workspace.js';

type Rollout = typeof import('./fixtures/rollout.ts');

describe('verify', () => {
  it('runs for the first version and each upgrade, not for rollback()', async () => {
    const ws = workspace();
    const entry = ws.write('rollout.ts', ws.fixture('rollout.ts'));
    const seen: number[] = [];
    const mod = await ws.hot<Rollout>(entry, {
      threads: 1,
      verify: async (api) => {
        seen.push(await api.work());
      },
    });
    ws.write('rollout.ts', rolloutSource(ws.fixture('rollout.ts'), { VERSION: 2 }));
    await mod.upgrade();
    expect(seen).toEqual([1, 2]);
    expect((await mod.rollback()).id).toBe(1);
    expect(await mod.api.work()).toBe(1);
    expect(seen).toEqual([1, 2]);
  });
});
