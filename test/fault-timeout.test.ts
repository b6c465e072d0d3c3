import { describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

type Faults = typeof import('./fixtures/faults.ts');

describe('call timeouts', () => {
  it('terminate and replace the worker after callTimeout; other calls succeed, the next call works', async () => {
    const ws = workspace();
    const mod = await ws.hot<Faults>(ws.copy('faults.ts'), { threads: 2, callTimeout: 1_000 });
    const before = await mod.stats.alive[0]?.threadIds;
    const spinning = mod.api.spin().catch((error: unknown) => error);
    const others = Array.from({ length: 10 }, (_, i) => mod.api.echo(i));

    expect(await spinning).toMatchObject({ code: 'ERR_HOT_CALL_TIMEOUT', fn: 'spin', version: 1 });
    expect(await Promise.all(others)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(await mod.api.echo('next')).toBe('next');
    await expect.poll(() => mod.stats.alive[0]?.threadIds.length, { timeout: 5_000 }).toBe(2);
    expect(mod.stats.alive[0]?.threadIds).not.toEqual(before);
  });

  it('takes a per-call timeout through run(), overriding the module default', async () => {
    const ws = workspace();
    const mod = await ws.hot<Faults>(ws.copy('faults.ts'), { threads: 1 });
    const error = await mod.run('spin', [], { timeout: 50 }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'ERR_HOT_CALL_TIMEOUT', message: expect.stringContaining('50 ms') });
    expect(await mod.run('echo', ['fast'], { timeout: 10_000 })).toBe('fast');
  });
});
