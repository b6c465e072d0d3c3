import { describe, expect, expectTypeOf, it } from 'vitest';
import { workspace } from './support/workspace.js';

type MapFixture = typeof import('./fixtures/map.ts');

describe('map() types', () => {
  it('takes inputs of the first parameter and resolves with the results, or settled entries', async () => {
    const ws = workspace();
    const mod = await ws.hot<MapFixture>(ws.copy('map.ts'), { threads: 1 });
    expectTypeOf(mod.map('square', [1, 2])).toEqualTypeOf<Promise<number[]>>();
    expectTypeOf(mod.map('later', new Set([1]))).toEqualTypeOf<Promise<number[]>>();
    expectTypeOf(mod.map('square', [1], { settle: true })).toEqualTypeOf<Promise<PromiseSettledResult<number>[]>>();
    // @ts-expect-error: square takes numbers
    await mod.map('square', ['1']).catch(() => undefined);
    // @ts-expect-error: a generator streams; it is not mapped
    await mod.map('numbers', [1]).catch(() => undefined);
    // @ts-expect-error: not an export
    await mod.map('missing', [1]).catch(() => undefined);
    async function* inputs() {
      yield 2;
    }
    expect(await mod.map('square', inputs())).toEqual([4]);
  });
});
