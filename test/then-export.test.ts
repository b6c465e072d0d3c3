// A module namespace with a `then` export is a thenable: a worker that resolved a promise with it
// would call that `then` and wait forever for it to call back, and the module would never load.
import { describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

type ThenExport = typeof import('./fixtures/then-export.ts');

describe('a module that exports then', () => {
  it('loads, upgrades and runs then() by name; api leaves then undefined, so the module object is not thenable', async () => {
    const ws = workspace();
    const mod = await ws.hot<ThenExport>(ws.copy('then-export.ts'), { threads: 1, standbyDelay: 0 });
    expect(mod.version.functions).toEqual(expect.arrayContaining(['then', 'answer']));
    expect(await mod.call('then')).toBe('then ran');
    expect(await mod.api.answer()).toBe(42);
    expect((mod.api as unknown as Record<string, unknown>).then).toBeUndefined();
    // The upgrade hands the bundle to standby workers: their import is checked too.
    await expect.poll(() => mod.stats.standby.ready, { timeout: 15_000 }).toBe(true);
    ws.write('then-export.ts', `${ws.fixture('then-export.ts')}\nexport const edition = 2;\n`);
    expect((await mod.upgrade()).id).toBe(2);
    expect(await mod.call('then')).toBe('then ran');
  });
});
