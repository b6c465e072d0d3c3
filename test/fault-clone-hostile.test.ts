// Results, errors and arguments that a walk of the value cannot vet: each gets its own code
// and the worker that ran it keeps serving.
import { type CrashEvent, HotError, type HotModule } from 'hotworker';
import { beforeEach, describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

type Hostile = typeof import('./fixtures/hostile.ts');

let mod: HotModule<Hostile>;
let thread: number;
let crashes: CrashEvent[];

beforeEach(async () => {
  const ws = workspace();
  mod = await ws.hot<Hostile>(ws.copy('hostile.ts'), { threads: 1 });
  thread = await mod.api.thread();
  crashes = [];
  mod.on('crash', (event) => crashes.push(event));
});

async function failure(call: Promise<unknown>): Promise<unknown> {
  const error = await call.then(
    () => new Error('expected a rejection'),
    (caught: unknown) => caught,
  );
  // The same worker answers next: nothing died.
  expect(await mod.api.thread()).toBe(thread);
  expect(crashes).toEqual([]);
  return error;
}

describe('hostile values: the right error, and the worker lives', () => {
  it.each([
    ['a Proxy', 'proxyResult', 'result', /result is a Proxy/],
    ['an Intl.Collator inside', 'collatorResult', 'result.list[1].c', /result\.list\[1\]\.c is a Intl\.Collator/],
    ['a getter that throws', 'getterResult', 'result.boom', /result\.boom is a getter that threw: result getter boom/],
  ] as const)('a result with %s: ERR_HOT_CLONE with the path', async (_, fn, path, message) => {
    const error = await failure((mod as unknown as HotModule).call(fn));
    expect(error).toBeInstanceOf(HotError);
    expect(error).toMatchObject({ code: 'ERR_HOT_CLONE', fn, path, version: 1, message: expect.stringMatching(message) });
  });

  it("a result's throwing getter: its error is the cause", async () => {
    const error = await failure(mod.api.getterResult());
    expect(error).toMatchObject({
      message:
        'getterResult() returned a value that cannot cross threads: result.boom is a getter that threw: result getter boom. Return only structured-cloneable data.',
      cause: { name: 'Error', message: 'result getter boom' },
    });
  });

  it('a result nested 10,000 deep: ERR_HOT_CLONE naming the nesting limit (it would otherwise never come back)', async () => {
    const error = await failure(mod.api.deepResult(10_000));
    expect(error).toMatchObject({ code: 'ERR_HOT_CLONE', message: expect.stringContaining('nested more than 1000 levels deep') });
  });

  it("an error with a throwing getter: the function's own error, without that property", async () => {
    const error = await failure(mod.api.getterError());
    expect(error).not.toBeInstanceOf(HotError);
    expect(error).toMatchObject({ name: 'Error', message: 'the function failed' });
  });

  it('an argument with a throwing getter: ERR_HOT_CLONE naming it, with the getter error as cause', async () => {
    const arg = {
      get x(): never {
        throw new Error('arg getter boom');
      },
    };
    const error = await failure(mod.api.echo(arg));
    expect(error).toMatchObject({ code: 'ERR_HOT_CLONE', path: 'args[0].x', cause: { message: 'arg getter boom' } });
  });

  it('an argument whose getter throws only the first time it is read: ERR_HOT_CLONE with that error, not a worker death', async () => {
    let reads = 0;
    const arg = {
      get x(): number {
        reads++;
        if (reads === 1) throw new Error('first read boom');
        return reads;
      },
    };
    const error = await failure(mod.api.echo(arg));
    expect(error).toMatchObject({
      code: 'ERR_HOT_CLONE',
      fn: 'echo',
      version: 1,
      message: 'Cannot send the arguments of echo() to a worker: reading them threw: first read boom. Pass only structured-cloneable data.',
      cause: { message: 'first read boom' },
    });
  });

  it('a Proxy argument and an argument nested 100,000 deep: ERR_HOT_CLONE', async () => {
    expect(await failure(mod.api.echo(new Proxy({}, {})))).toMatchObject({
      code: 'ERR_HOT_CLONE',
      fn: 'echo',
      version: 1,
      path: 'args[0]',
      message: 'Cannot send the arguments of echo() to a worker: args[0] is a Proxy. Pass only structured-cloneable data.',
      cause: { name: 'DataCloneError' },
    });
    // Deep enough to overflow the clone's stack in any thread: 10,000 levels still clone with
    // a worker thread's 4 MB stack (vitest's `threads` pool, which Stryker uses).
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(await failure(mod.api.echo(deep))).toMatchObject({
      code: 'ERR_HOT_CLONE',
      message: expect.stringContaining('nested too deep'),
    });
  });

  it('transfer: [{}]: ERR_HOT_INVALID_OPTION', async () => {
    const error = await failure(mod.run('echo', [1], { transfer: [{} as ArrayBuffer] }));
    expect(error).toMatchObject({
      code: 'ERR_HOT_INVALID_OPTION',
      fn: 'echo',
      version: 1,
      message: expect.stringMatching(/^Expected `transfer` of echo\(\) to list only transferable objects/),
      cause: { code: 'ERR_INVALID_TRANSFER_OBJECT' },
    });
  });

  it('a buffer listed twice in transfer: ERR_HOT_CLONE with what postMessage said, no path', async () => {
    const buffer = new ArrayBuffer(8);
    const error = await failure(mod.run('echo', [buffer], { transfer: [buffer, buffer] }));
    expect(error).toBeInstanceOf(HotError);
    expect(error).toMatchObject({
      code: 'ERR_HOT_CLONE',
      fn: 'echo',
      message: expect.stringMatching(/^Cannot send the arguments of echo\(\) to a worker: .*duplicate/),
      cause: { name: 'DataCloneError' },
    });
    expect(error).not.toHaveProperty('path');
  });

  it('50 Proxy results in a row: 50 ERR_HOT_CLONE, one worker throughout', async () => {
    const errors = await Promise.all(Array.from({ length: 50 }, () => mod.api.proxyResult().catch((error: unknown) => error)));
    expect(errors.every((error) => HotError.is(error, 'ERR_HOT_CLONE'))).toBe(true);
    expect(await mod.api.thread()).toBe(thread);
    expect(crashes).toEqual([]);
  });
});
