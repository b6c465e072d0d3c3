/**
 * `maxQueue`: once that many calls wait for a thread of a version, a new call, stream or map
 * is refused at once with ERR_HOT_QUEUE_FULL (it never runs), and accepted again as the queue
 * drains; the chunks of a running map() are never refused.
 */
import { describe, expect, it } from 'vitest';
import { gate } from './support/gate.js';
import { heldModule } from './support/held.js';
import { workspace } from './support/workspace.js';

type Counted = typeof import('./fixtures/counted.ts');
type Streams = typeof import('./fixtures/streams.ts');
type MapFixture = typeof import('./fixtures/map.ts');

describe('maxQueue', () => {
  it('refuses a call beyond the queue at once, and takes calls again once it drains', async () => {
    const { mod, held, busy } = await heldModule(workspace(), { maxQueue: 2 });
    const ran = new SharedArrayBuffer(4);
    const queued = [mod.api.record(ran), mod.api.record(ran)];

    const refused = await mod.api.record(ran).catch((error: unknown) => error);
    expect(refused).toMatchObject({ name: 'HotError', code: 'ERR_HOT_QUEUE_FULL', fn: 'record', version: 1, option: 'maxQueue' });
    expect((refused as Error).message).toMatch(/2 calls already wait for a thread of version 1/);
    await expect(mod.run('record', [ran], { timeout: 60_000 })).rejects.toMatchObject({ code: 'ERR_HOT_QUEUE_FULL' });
    await expect(mod.map('record', [ran])).rejects.toMatchObject({ code: 'ERR_HOT_QUEUE_FULL' });
    expect(mod.stats.inFlight).toBe(3);

    held.open();
    await busy;
    await Promise.all(queued);
    // Only the two queued calls ran: none of the refused ones did.
    expect(Atomics.load(new Int32Array(ran), 0)).toBe(2);
    expect(await mod.api.record(ran)).toBe(3);
  });

  it('refuses a stream beyond the queue on its first read', async () => {
    const ws = workspace();
    const mod = await ws.hot<Streams>(ws.copy('streams.ts'), { threads: 1, maxQueue: 0 });
    // More values than the stream's window (16): the generator waits for credit, and so holds
    // the only thread until read further or stopped. With fewer it could finish in the worker,
    // freeing the thread, before the second stream was asked for.
    const first = mod.stream('count', 100);
    expect(await first.next()).toEqual({ done: false, value: 1 });
    await expect(mod.stream('count', 3).next()).rejects.toMatchObject({ code: 'ERR_HOT_QUEUE_FULL', fn: 'count' });
    await first.return?.(undefined);
  });

  it('counts a running map() by its chunks, not once more for the map itself', async () => {
    const ws = workspace();
    const mod = await ws.hot<Counted>(ws.copy('counted.ts'), { threads: 1, maxQueue: 1 });
    const held = gate();
    ws.defer(() => held.open());
    const mapped = mod.map('hold', [held.shared]);
    await held.entered(1);
    // One chunk runs on the only thread: the queue of one is empty, so one call may wait.
    const ran = new SharedArrayBuffer(4);
    const waiting = mod.api.record(ran);
    await expect(mod.api.record(ran)).rejects.toMatchObject({ code: 'ERR_HOT_QUEUE_FULL' });
    held.open();
    expect(await mapped).toHaveLength(1);
    expect(await waiting).toBe(1);
  });

  it('never refuses the chunks of a running map()', async () => {
    const ws = workspace();
    const mod = await ws.hot<MapFixture>(ws.copy('map.ts'), { threads: 1, maxQueue: 0 });
    const inputs = Array.from({ length: 200 }, (_, i) => i);
    expect(await mod.map('square', inputs, { chunkSize: 1 })).toEqual(inputs.map((n) => n * n));
  });

  it.each([-1, 1.5, '3', Number.NaN])('refuses maxQueue %s', async (value) => {
    const ws = workspace();
    await expect(ws.hot(ws.copy('counted.ts'), { maxQueue: value as number })).rejects.toMatchObject({
      code: 'ERR_HOT_INVALID_OPTION',
      message: expect.stringContaining('`maxQueue` to be an integer >= 0 or Infinity'),
    });
  });
});
