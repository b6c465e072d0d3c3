/**
 * `atomics: 'auto'` on a piscina whose task listener cannot be found: the host warns once
 * (`HOTWORKER_IDLE_UNWATCHED`) and the workers wait as with `'sync'`, answering as before.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

type Hides = typeof import('./fixtures/hides-task-listener.ts');

const warnings: Error[] = [];
const onWarning = (warning: Error): void => {
  warnings.push(warning);
};

afterEach(() => {
  process.off('warning', onWarning);
  warnings.length = 0;
});

describe("atomics: 'auto' without piscina's listener", () => {
  it('warns once, naming the fix, and the module keeps answering', async () => {
    process.on('warning', onWarning);
    const ws = workspace();
    const mod = await ws.hot<Hides>(ws.copy('hides-task-listener.ts'), { threads: 2, standby: false });
    expect(await Promise.all([1, 2, 3, 4].map((n) => mod.api.double(n)))).toEqual([2, 4, 6, 8]);
    await expect.poll(() => warnings.length).toBe(1);
    expect(warnings[0]).toMatchObject({ code: 'HOTWORKER_IDLE_UNWATCHED' });
    expect(warnings[0]?.message).toMatch(/could not watch a piscina worker's wait.*atomics: 'async'/);
    // Both workers reported; the host warned once.
    expect(await mod.api.double(5)).toBe(10);
    expect(warnings).toHaveLength(1);
  });
});
