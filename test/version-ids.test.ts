/**
 * Version ids: 1 for the first version, one more per upgrade that serves. A failed upgrade
 * uses up no id, so ids match what served.
 */
import { describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

type Versioned = typeof import('./fixtures/versioned.ts');

describe('version ids', () => {
  it('a failed upgrade uses up no id: the next good one is 2', async () => {
    const ws = workspace();
    const mod = await ws.hot<Versioned>(ws.copy('versioned.ts'), {
      threads: 1,
      verify: async (api) => {
        if ((await api.version()) < 0) throw new Error('negative version');
      },
    });
    for (const [text, code] of [
      ['export function version( {', 'ERR_HOT_BUILD'],
      ['export const version = () => 9; throw new Error("at load");', 'ERR_HOT_LOAD'],
      ['export const VERSION = -1; export const version = () => -1; export const echo = (v: unknown) => v;', 'ERR_HOT_VERIFY'],
    ] as const) {
      ws.write('versioned.ts', text);
      await expect(mod.upgrade({ allowBreaking: true }), code).rejects.toMatchObject({ code });
      expect(mod.version.id).toBe(1);
    }
    ws.write('versioned.ts', ws.fixture('versioned.ts').replace('VERSION = 1', 'VERSION = 2'));
    expect(await mod.upgrade()).toMatchObject({ id: 2 });
    expect(mod.history.map((version) => version.id)).toEqual([1, 2]);
    expect(await mod.api.version()).toBe(2);
  });
});
