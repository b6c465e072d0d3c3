import { once } from 'node:events';
import { type CrashEvent, HotError, type HotModule } from 'hotworker';
import { describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

type Faults = typeof import('./fixtures/faults.ts');

describe('a worker that dies', () => {
  it('process.exit() in a call: ERR_HOT_WORKER_EXIT with the exit code; others succeed; the worker is replaced', async () => {
    const ws = workspace();
    const mod = await ws.hot<Faults>(ws.copy('faults.ts'), { threads: 2 });
    const crashes: CrashEvent[] = [];
    mod.on('crash', (event) => crashes.push(event));
    // Two digits: the whole exit code is read from piscina's message.
    const exiting = mod.api.exit(42).catch((error: unknown) => error);
    const others = Array.from({ length: 10 }, (_, i) => mod.api.echo(i));

    const error = await exiting;
    expect(error).toMatchObject({ code: 'ERR_HOT_WORKER_EXIT', exitCode: 42, fn: 'exit', version: 1 });
    expect((error as Error).message).toBe('The worker running exit() of version 1 exited with code 42');
    expect((error as Error).cause).toBeInstanceOf(Error);
    expect(await Promise.all(others)).toHaveLength(10);
    expect(await mod.api.echo('next')).toBe('next');
    await expect.poll(() => crashes.length, { timeout: 5_000 }).toBe(1);
    expect(crashes[0]).toMatchObject({
      version: { id: 1 },
      error: { code: 'ERR_HOT_WORKER_EXIT', exitCode: 42, version: 1, message: 'A worker of version 1 exited with code 42' },
    });
  });

  it('an exception thrown later by a timer, while idle: a crash event, not a host crash; the next call works', async () => {
    const ws = workspace();
    const mod = await ws.hot<Faults>(ws.copy('faults.ts'), { threads: 1 });
    const crashed = once(mod, 'crash') as Promise<[CrashEvent]>;
    expect(await mod.api.leaveBomb('late boom')).toBe('armed');

    const [event] = await crashed;
    expect(event.error).toMatchObject({
      code: 'ERR_HOT_WORKER_EXIT',
      version: 1,
      exitCode: 1,
      message: 'A worker of version 1 died from an uncaught exception: late boom',
      cause: { message: 'late boom' },
    });
    expect(await mod.api.echo('after')).toBe('after');
  });

  it('a timer exception never lands in a later, unrelated call', async () => {
    const ws = workspace();
    const mod = await ws.hot<Faults>(ws.copy('faults.ts'), { threads: 1 });
    // The timer must fire while the worker is idle, between calls: with no call made, the
    // crash still comes (a worker parked between tasks would hold it until the next call).
    const crashed = once(mod, 'crash', { signal: AbortSignal.timeout(10_000) }) as Promise<[CrashEvent]>;
    expect(await mod.api.leaveBomb('stray')).toBe('armed');
    const [event] = await crashed;
    expect(event.error).toMatchObject({ code: 'ERR_HOT_WORKER_EXIT', cause: { message: 'stray' } });

    // Every later call answers: none of them is hit by the timer's exception.
    const later = Array.from({ length: 20 }, (_, i) => i);
    expect(await Promise.all(later.map((i) => mod.api.echo(i)))).toEqual(later);
  });

  it('out of heap under resourceLimits: ERR_HOT_WORKER_EXIT with the out-of-memory cause', async () => {
    const ws = workspace();
    const mod = await ws.hot<Faults>(ws.copy('faults.ts'), { threads: 1, resourceLimits: { maxOldGenerationSizeMb: 32 } });
    const crashes: CrashEvent[] = [];
    mod.on('crash', (event) => crashes.push(event));
    const error = await mod.api.hog().catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      code: 'ERR_HOT_WORKER_EXIT',
      fn: 'hog',
      version: 1,
      message: 'The worker running hog() of version 1 ran out of memory (resourceLimits) and was replaced',
      cause: { code: 'ERR_WORKER_OUT_OF_MEMORY' },
    });
    expect(await mod.api.echo('alive')).toBe('alive');
    expect(crashes).toHaveLength(1);
    expect(crashes[0]?.error).toMatchObject({ code: 'ERR_HOT_WORKER_EXIT', fn: 'hog', message: (error as Error).message });
  });

  it('out of heap while idle (a timer left allocating): a crash event that names no call', async () => {
    const ws = workspace();
    const mod = await ws.hot<Faults>(ws.copy('faults.ts'), { threads: 1, resourceLimits: { maxOldGenerationSizeMb: 32 } });
    const crashed = once(mod, 'crash', { signal: AbortSignal.timeout(20_000) }) as Promise<[CrashEvent]>;
    expect(await mod.api.hogSoon()).toBe('armed');
    const [event] = await crashed;
    expect(event.error).toMatchObject({
      code: 'ERR_HOT_WORKER_EXIT',
      version: 1,
      message: 'A worker of version 1 ran out of memory (resourceLimits) and was replaced',
      cause: { code: 'ERR_WORKER_OUT_OF_MEMORY' },
    });
    expect(event.error).not.toHaveProperty('fn');
    expect(await mod.api.echo('alive')).toBe('alive');
  });

  it('an exception thrown by a timer while its call waits: that call gets ERR_HOT_WORKER_EXIT with the exception as cause', async () => {
    const ws = workspace();
    const mod = await ws.hot<Faults>(ws.copy('faults.ts'), { threads: 1 });
    const error = await mod.api.throwSoon('soon boom').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HotError);
    expect(error).toMatchObject({
      code: 'ERR_HOT_WORKER_EXIT',
      fn: 'throwSoon',
      version: 1,
      message: 'The worker running throwSoon() of version 1 died: soon boom',
      cause: { name: 'RangeError', message: 'soon boom' },
    });
    expect(error).not.toHaveProperty('exitCode');
    expect(await mod.api.echo('next')).toBe('next');
  });

  it('a worker that dies under a call that transferred a buffer: ERR_HOT_WORKER_EXIT, not a clone error about the detached buffer', async () => {
    const ws = workspace();
    const mod = await ws.hot<Faults>(ws.copy('faults.ts'), { threads: 1 });
    const buffer = new ArrayBuffer(16);
    const error = await (mod as unknown as HotModule)
      .run('throwSoon', ['boom after a transfer', buffer], { transfer: [buffer] })
      .catch((caught: unknown) => caught);
    // Sent, so detached here: cloning the arguments again to look for a culprit would fail.
    expect(buffer.byteLength).toBe(0);
    expect(error).toMatchObject({
      code: 'ERR_HOT_WORKER_EXIT',
      fn: 'throwSoon',
      message: expect.stringMatching(/died: boom after a transfer$/),
    });
  });
});
