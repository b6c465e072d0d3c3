import { once } from 'node:events';
import type { CrashEvent } from 'hotworker';
import { describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

type Faults = typeof import('./fixtures/faults.ts');

describe('a worker that dies', () => {
  it('process.exit() in a call: ERR_HOT_WORKER_EXIT with the exit code; others succeed; the worker is replaced', async () => {
    const ws = workspace();
    const mod = await ws.hot<Faults>(ws.copy('faults.ts'), { threads: 2 });
    const crashes: CrashEvent[] = [];
    mod.on('crash', (event) => crashes.push(event));
    const exiting = mod.api.exit(5).catch((error: unknown) => error);
    const others = Array.from({ length: 10 }, (_, i) => mod.api.echo(i));

    const error = await exiting;
    expect(error).toMatchObject({ code: 'ERR_HOT_WORKER_EXIT', exitCode: 5, fn: 'exit', version: 1 });
    expect((error as Error).cause).toBeInstanceOf(Error);
    expect(await Promise.all(others)).toHaveLength(10);
    expect(await mod.api.echo('next')).toBe('next');
    await expect.poll(() => crashes.length, { timeout: 5_000 }).toBe(1);
    expect(crashes[0]).toMatchObject({ version: { id: 1 }, error: { code: 'ERR_HOT_WORKER_EXIT', exitCode: 5 } });
  });

  it('an exception thrown later by a timer, while idle: a crash event, not a host crash; the next call works', async () => {
    const ws = workspace();
    const mod = await ws.hot<Faults>(ws.copy('faults.ts'), { threads: 1 });
    const crashed = once(mod, 'crash') as Promise<[CrashEvent]>;
    expect(await mod.api.leaveBomb('late boom')).toBe('armed');

    const [event] = await crashed;
    expect(event.error).toMatchObject({ code: 'ERR_HOT_WORKER_EXIT', cause: { message: 'late boom' } });
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
      message: expect.stringContaining('out of memory'),
      cause: { code: 'ERR_WORKER_OUT_OF_MEMORY' },
    });
    expect(await mod.api.echo('alive')).toBe('alive');
    expect(crashes).toHaveLength(1);
  });
});
