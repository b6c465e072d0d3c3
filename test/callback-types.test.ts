import type { ArgsOf, CallerCallback } from 'hotworker';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { workspace } from './support/workspace.js';

type Callbacks = typeof import('./fixtures/callbacks.ts');

describe('callback types', () => {
  it('the caller may pass (...) => R where the worker declares (...) => Promise<R>', async () => {
    type Progress = (done: number, total: number) => Promise<void>;
    expectTypeOf<CallerCallback<Progress>>().toEqualTypeOf<(done: number, total: number) => void | Promise<void>>();
    expectTypeOf<ArgsOf<Callbacks, 'mapWith'>>().toEqualTypeOf<
      [values: number[], transform: (value: number) => number | Promise<number>]
    >();
    expectTypeOf<ArgsOf<Callbacks, 'render'>[1]['onProgress']>().toEqualTypeOf<(done: number, total: number) => void | Promise<void>>();
    expectTypeOf<ArgsOf<Callbacks, 'render'>[1]['label']>().toEqualTypeOf<string>();

    const ws = workspace();
    const mod = await ws.hot<Callbacks>(ws.copy('callbacks.ts'), { threads: 1 });
    expectTypeOf(mod.api.mapWith).parameter(1).toEqualTypeOf<(value: number) => number | Promise<number>>();
    expect(await mod.api.mapWith([2], (value) => value * 2)).toEqual([4]);
    expect(await mod.call('mapWith', [2], async (value) => value * 3)).toEqual([6]);
    // @ts-expect-error: the callback must answer a number, as the worker declares
    await mod.api.mapWith([2], (value) => String(value));
    // @ts-expect-error: the callback takes the worker's parameter types
    await mod.api.render(1, { label: 'x', onProgress: (done: string) => void done }).catch(() => undefined);
    // @ts-expect-error: a property of the options bag that is not a callback keeps its type
    await mod.api.render(1, { label: 2, onProgress: () => undefined }).catch(() => undefined);
  });

  it('arguments without callbacks keep their exact types', () => {
    type Math = typeof import('./fixtures/math.ts');
    expectTypeOf<ArgsOf<Math, 'add'>>().toEqualTypeOf<[a: number, b: number]>();
    expectTypeOf<ArgsOf<{ f: (d: Date, b: Uint8Array, o: { a: number }) => void }, 'f'>>().toEqualTypeOf<
      [d: Date, b: Uint8Array, o: { a: number }]
    >();
  });
});
