import { type HotApi, HotError, type HotModule } from 'hotworker';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { workspace } from './support/workspace.js';

type Math = typeof import('./fixtures/math.ts');

describe('typed api', () => {
  it('types every exported function as async, with its own parameters', async () => {
    const ws = workspace();
    const math = await ws.hot<Math>(ws.copy('math.ts'), { threads: 1 });

    expectTypeOf(math.api.fib).toEqualTypeOf<(n: number) => Promise<number>>();
    expectTypeOf(math.api.addLater).toEqualTypeOf<(a: number, b: number) => Promise<number>>();
    expectTypeOf(math.call('add', 1, 2)).toEqualTypeOf<Promise<number>>();
    expectTypeOf<HotApi<Math>>().not.toHaveProperty('notAFunction');

    // @ts-expect-error: add takes numbers (at run time the worker concatenates)
    expect(await math.api.add('1', 2)).toBe('12');
    // @ts-expect-error: not an export
    await expect(math.call('missing')).rejects.toMatchObject({ code: 'ERR_HOT_NO_EXPORT' });
    // @ts-expect-error: add takes two arguments
    await math.call('add', 1).catch(() => undefined);

    expect(await math.api.fib(10)).toBe(55);
    expect(await math.call('add', 2, 3)).toBe(5);
  });

  it('is not thenable, so it can be returned from an async function', async () => {
    const ws = workspace();
    const math = await ws.hot<Math>(ws.copy('math.ts'), { threads: 1 });
    const getApi = async () => math.api;
    const api = await getApi();
    expect((api as { then?: unknown }).then).toBeUndefined();
    expect(await api.add(1, 1)).toBe(2);
  });

  it('refuses names that are not exported functions, prototype names included', async () => {
    const ws = workspace();
    const math = (await ws.hot<Math>(ws.copy('math.ts'), { threads: 1 })) as unknown as HotModule;
    for (const name of ['notAFunction', '__proto__', 'constructor', 'then', 'toString', 'hasOwnProperty', 'nope']) {
      const error = await math.call(name).catch((caught: unknown) => caught);
      expect(error, name).toBeInstanceOf(HotError);
      expect(error, name).toMatchObject({ code: 'ERR_HOT_NO_EXPORT', fn: name });
    }
    await expect(math.api.constructor()).rejects.toMatchObject({ code: 'ERR_HOT_NO_EXPORT' });
  });

  it('is read-only', async () => {
    const ws = workspace();
    const math = await ws.hot<Math>(ws.copy('math.ts'), { threads: 1 });
    expect(() => {
      (math.api as Record<string, unknown>).fib = () => 0;
    }).toThrow(TypeError);
  });
});
