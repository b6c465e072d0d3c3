/**
 * Upgrades run one at a time: one called while another runs waits for it, and builds and
 * proves its version only once the first has shifted and its old version ended.
 */
import type { HotModule } from 'hotworker';
import { describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

type Versioned = typeof import('./fixtures/versioned.ts');

describe('upgrades are serialized', () => {
  it('two upgrades called at once: v2 serves and ends v1 before v3 is proven; v3 replaces v2', async () => {
    const ws = workspace();
    const source = ws.fixture('versioned.ts');
    const v2 = ws.write('v2.ts', source.replace('VERSION = 1', 'VERSION = 2'));
    const v3 = ws.write('v3.ts', source.replace('VERSION = 1', 'VERSION = 3'));
    /** What was serving, and which generations were alive, while each version was verified. */
    const seenByVerify: Array<{ verifying: number; serving: number; alive: number[] }> = [];
    let mod: HotModule<Versioned> | undefined;
    mod = await ws.hot<Versioned>(ws.copy('versioned.ts'), {
      threads: 1,
      verify: async (api) => {
        const verifying = await api.version();
        if (mod === undefined) return;
        seenByVerify.push({
          verifying,
          serving: await mod.api.version(),
          alive: mod.stats.alive.map((generation) => generation.version.id),
        });
      },
    });
    const shifts: Array<[number, number]> = [];
    mod.on('upgrade', ({ from, to }) => shifts.push([from.id, to.id]));

    const results = await Promise.all([mod.upgrade({ entry: v2 }), mod.upgrade({ entry: v3 })]);

    expect(results.map((version) => version.id)).toEqual([2, 3]);
    expect(shifts).toEqual([
      [1, 2],
      [2, 3],
    ]);
    expect(seenByVerify).toEqual([
      { verifying: 2, serving: 1, alive: [1] },
      { verifying: 3, serving: 2, alive: [2] },
    ]);
    expect(await mod.api.version()).toBe(3);
  });
});
