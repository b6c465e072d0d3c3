// A worker that replaces a dead one but cannot serve as the first ones did: its calls, map()
// chunks and streams get ERR_HOT_LOAD (it failed to load) or ERR_HOT_NO_EXPORT (it loaded
// without the function).
import { join } from 'node:path';
import { HotError, type HotModule } from 'hotworker';
import { describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

// The functions as the first workers export them (a replacement may load without them).
type Reloads = Omit<typeof import('./fixtures/reloads-differently.ts'), 'add' | 'double' | 'count'> & {
  add(a: number, b: number): number;
  double(x: number): number;
  count(n: number): Generator<number>;
};
const MARKER = 'HOTWORKER_TEST_RELOAD_MARKER';

async function openWithMarker(): Promise<HotModule<Reloads>> {
  const ws = workspace();
  process.env[MARKER] = join(ws.dir, 'marker');
  ws.defer(() => {
    delete process.env[MARKER];
  });
  const mod = await ws.hot<Reloads>(ws.copy('reloads-differently.ts'), { threads: 1 });
  expect(await mod.call('add', 1, 2)).toBe(3);
  return mod;
}

describe('a replacement worker that loads differently', () => {
  it('fails to load: its calls get ERR_HOT_LOAD with the load error as cause', async () => {
    const mod = await openWithMarker();
    await expect(mod.api.breakNext('throw')).rejects.toMatchObject({ code: 'ERR_HOT_WORKER_EXIT', exitCode: 1 });
    const error = await mod.call('add', 1, 2).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HotError);
    expect(error).toMatchObject({
      code: 'ERR_HOT_LOAD',
      fn: 'add',
      version: 1,
      message: 'A worker of version 1 failed to load the module: cannot load: told to fail',
      cause: { name: 'RangeError', message: 'cannot load: told to fail' },
    });
  });

  it('loads without the function: its calls get ERR_HOT_NO_EXPORT', async () => {
    const mod = await openWithMarker();
    await expect(mod.api.breakNext('drop')).rejects.toMatchObject({ code: 'ERR_HOT_WORKER_EXIT', exitCode: 1 });
    const error = await mod.call('add', 1, 2).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HotError);
    expect(error).toMatchObject({
      code: 'ERR_HOT_NO_EXPORT',
      fn: 'add',
      version: 1,
      message: 'add is not an exported function of version 1',
    });
  });

  it('a map() chunk and a stream get the same errors as a call', async () => {
    const broken = await openWithMarker();
    expect(await broken.map('double', [1, 2])).toEqual([2, 4]);
    await expect(broken.api.breakNext('throw')).rejects.toMatchObject({ code: 'ERR_HOT_WORKER_EXIT' });
    await expect(broken.map('double', [1, 2, 3])).rejects.toMatchObject({
      code: 'ERR_HOT_LOAD',
      message: 'A worker of version 1 failed to load the module: cannot load: told to fail',
    });
    await expect(drain(broken.runStream('count', [3]))).rejects.toMatchObject({ code: 'ERR_HOT_LOAD', fn: 'count' });

    const dropped = await openWithMarker();
    expect(await drain(dropped.runStream('count', [3]))).toEqual([0, 1, 2]);
    await expect(dropped.api.breakNext('drop')).rejects.toMatchObject({ code: 'ERR_HOT_WORKER_EXIT' });
    await expect(dropped.map('double', [1, 2, 3])).rejects.toMatchObject({
      code: 'ERR_HOT_NO_EXPORT',
      message: 'double is not an exported function of version 1',
    });
    await expect(drain(dropped.runStream('count', [3]))).rejects.toMatchObject({
      code: 'ERR_HOT_NO_EXPORT',
      message: 'count is not an exported function of version 1',
    });
  });
});

async function drain<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const values: T[] = [];
  for await (const value of stream) values.push(value);
  return values;
}
