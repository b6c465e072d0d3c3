import { HotError, type HotModule } from 'hotworker';
import { describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

type Faults = typeof import('./fixtures/faults.ts');
type Unclonable = typeof import('./fixtures/unclonable.ts');

describe('values that cross threads', () => {
  it('an uncloneable result: ERR_HOT_CLONE naming the call and the path; the worker keeps serving', async () => {
    const ws = workspace();
    const mod = await ws.hot<Unclonable>(ws.copy('unclonable.ts'), { threads: 1 });
    const [thread] = mod.stats.alive[0]?.threadIds ?? [];

    const direct = await mod.api.returnsFunction().catch((error: unknown) => error);
    expect(direct).toBeInstanceOf(HotError);
    expect(direct).toMatchObject({ code: 'ERR_HOT_CLONE', fn: 'returnsFunction', path: 'result' });

    const nested = await mod.api.returnsNested().catch((error: unknown) => error);
    expect(nested).toMatchObject({ code: 'ERR_HOT_CLONE', path: 'result.items[0].onDone' });
    expect((nested as Error).message).toMatch(/returnsNested\(\).*result\.items\[0\]\.onDone is a function onDone/);
    expect(mod.stats.alive[0]?.threadIds).toEqual([thread]);
  });

  it('an uncloneable argument: ERR_HOT_CLONE naming the path, not a bare DataCloneError', async () => {
    const ws = workspace();
    const mod = (await ws.hot<Unclonable>(ws.copy('unclonable.ts'), { threads: 1 })) as unknown as HotModule;
    await expect(mod.call('accepts', Symbol('secret'))).rejects.toMatchObject({
      code: 'ERR_HOT_CLONE',
      path: 'args[0]',
      message: expect.stringMatching(
        /^Cannot send the arguments of accepts\(\) to a worker: args\[0\] is a Symbol\(secret\)\. Pass only structured-cloneable data\.$/,
      ),
    });
    await expect(mod.call('accepts', { deep: [1, { fn: () => 1 }] })).rejects.toMatchObject({
      code: 'ERR_HOT_CLONE',
      path: 'args[0].deep[1].fn',
    });
    expect(await mod.call('accepts', { plain: true })).toBe('object');
  });

  it('large payloads: a 10 MB string both ways, typed arrays', async () => {
    const ws = workspace();
    const mod = await ws.hot<Faults>(ws.copy('faults.ts'), { threads: 1 });
    const big = 'x'.repeat(10 * 1024 * 1024);
    expect(((await mod.api.echo(big)) as string).length).toBe(big.length);
    expect((await mod.api.repeat('ab', 5 * 1024 * 1024)).length).toBe(10 * 1024 * 1024);
    const floats = new Float64Array(1_000_000).fill(1.5);
    const back = (await mod.api.echo(floats)) as Float64Array;
    expect(back).toBeInstanceOf(Float64Array);
    expect(back[999_999]).toBe(1.5);
  });

  it('transfers an ArrayBuffer in the transfer list instead of copying it', async () => {
    const ws = workspace();
    const mod = await ws.hot<Faults>(ws.copy('faults.ts'), { threads: 1 });
    const buffer = new ArrayBuffer(8 * 1024 * 1024);
    expect(await mod.run('byteLength', [buffer], { transfer: [buffer] })).toBe(8 * 1024 * 1024);
    expect(buffer.byteLength).toBe(0); // detached: moved to the worker

    const copied = new ArrayBuffer(16);
    expect(await mod.api.byteLength(copied)).toBe(16);
    expect(copied.byteLength).toBe(16);
  });
});
