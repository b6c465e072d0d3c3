import { describe, expect, it } from 'vitest';
import { counter } from './support/counter.js';
import { workspace } from './support/workspace.js';

type MapFixture = typeof import('./fixtures/map.ts');

/** An endless async input of held `counted()` inputs that counts how many were read, and whether it was closed. */
function source(cells: Int32Array) {
  const read = { count: 0, closed: false };
  async function* inputs() {
    try {
      for (;;) {
        read.count++;
        yield { cells, hold: true };
      }
    } finally {
      read.closed = true;
    }
  }
  return { read, inputs: inputs() };
}

/** One turn of the event loop: the map's reads of its input are promise jobs, all done by then. */
const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('map() over an async input: back-pressure', () => {
  it.each([
    // No time limit: two chunks per thread (one running, one queued), and one more filled, waiting.
    { options: {}, readAhead: 3 },
    // With a limit, one chunk per thread, so that none waits in the queue behind the map's own.
    { options: { timeout: 30_000 }, readAhead: 2 },
  ])('reads no further while the chunks in flight are full ($options)', async ({ options, readAhead }) => {
    const ws = workspace();
    const mod = await ws.hot<MapFixture>(ws.copy('map.ts'), { threads: 1 });
    const shared = counter();
    ws.defer(() => shared.release());
    const { read, inputs } = source(shared.cells);
    const controller = new AbortController();
    const mapping = mod.map('counted', inputs, { chunkSize: 1, signal: controller.signal, ...options });
    mapping.catch(() => {});
    await shared.started(1);
    await turn();
    expect(read.count).toBe(readAhead);

    // Ended, the map reads nothing more and closes its input.
    controller.abort(new Error('enough'));
    await expect(mapping).rejects.toThrow('enough');
    shared.release();
    await expect.poll(() => mod.stats.inFlight, { timeout: 10_000 }).toBe(0);
    expect(read.count).toBe(readAhead);
    expect(read.closed).toBe(true);
    // Only the input that was running when it ended ran.
    expect(shared.count).toBe(1);
  });

  it('reads nothing more once it has ended during a read of its input, and closes it', async () => {
    const ws = workspace();
    const mod = await ws.hot<MapFixture>(ws.copy('map.ts'), { threads: 1 });
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    ws.defer(() => open());
    const read = { count: 0, closed: false };
    async function* inputs() {
      try {
        read.count++;
        yield 1;
        // The map ends while it waits here for its second input.
        await gate;
        for (let i = 2; i <= 100; i++) {
          read.count++;
          yield i;
        }
      } finally {
        read.closed = true;
      }
    }
    const controller = new AbortController();
    // A chunk of 4 is not full after one input: the map is reading when it ends.
    const mapping = mod.map('square', inputs(), { chunkSize: 4, signal: controller.signal });
    // It stays at one until the gate opens.
    await expect.poll(() => read.count).toBe(1);
    controller.abort(new Error('enough'));
    await expect(mapping).rejects.toThrow('enough');

    open();
    await expect.poll(() => read.closed).toBe(true);
    // The read under way when it ended comes back; no other is made.
    expect(read.count).toBe(2);
    expect(mod.stats.inFlight).toBe(0);
  });
});
