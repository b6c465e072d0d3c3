import { describe, expect, it } from 'vitest';
import { counter } from './support/counter.js';
import { workspace } from './support/workspace.js';

type MapFixture = typeof import('./fixtures/map.ts');

describe('map() aborted or timed out', () => {
  it('skips every input not yet started when its signal aborts, and terminates no worker', async () => {
    const ws = workspace();
    const mod = await ws.hot<MapFixture>(ws.copy('map.ts'), { threads: 1 });
    const shared = counter();
    ws.defer(() => shared.release());
    const inputs = Array.from({ length: 40 }, (_, i) => ({ cells: shared.cells, hold: i === 0 }));
    const threadsBefore = mod.stats.alive[0]?.threadIds;
    const controller = new AbortController();
    const mapping = mod.map('counted', inputs, { chunkSize: 5, signal: controller.signal });
    await shared.started(1);
    const reason = new Error('no longer needed');
    controller.abort(reason);
    await expect(mapping).rejects.toBe(reason);

    shared.release();
    // The held input finishes; nothing after it runs, in its chunk or in the chunks queued.
    await expect.poll(() => mod.stats.inFlight, { timeout: 10_000 }).toBe(0);
    expect(shared.count).toBe(1);
    expect(mod.stats.alive[0]?.threadIds).toEqual(threadsBefore);
    expect(await mod.api.square(3)).toBe(9);
  });

  it('rejects at once with the reason of a signal already aborted', async () => {
    const ws = workspace();
    const mod = await ws.hot<MapFixture>(ws.copy('map.ts'), { threads: 1 });
    const shared = counter();
    const reason = new Error('aborted before');
    await expect(mod.map('counted', [{ cells: shared.cells }], { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(shared.count).toBe(0);
  });

  it('times out a chunk that runs too long: the map rejects, or with settle only that chunk does', async () => {
    const ws = workspace();
    const mod = await ws.hot<MapFixture>(ws.copy('map.ts'), { threads: 2 });
    const shared = counter();
    ws.defer(() => shared.release());
    const inputs = Array.from({ length: 6 }, (_, i) => ({ cells: shared.cells, hold: i === 4 }));
    await expect(mod.map('counted', inputs, { chunkSize: 2, timeout: 300 })).rejects.toMatchObject({ code: 'ERR_HOT_CALL_TIMEOUT' });

    const settled = await mod.map('counted', inputs, { chunkSize: 2, timeout: 300, settle: true });
    expect(settled.map((entry) => entry.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'rejected']);
    expect((settled[5] as PromiseRejectedResult).reason).toMatchObject({ code: 'ERR_HOT_CALL_TIMEOUT' });
    expect(settled[0]).toEqual({ status: 'fulfilled', value: 'v1' });

    // A chunk in the middle times out: the chunk after it, done long before, keeps its results.
    const middle = Array.from({ length: 6 }, (_, i) => ({ cells: shared.cells, hold: i === 2 }));
    const around = await mod.map('counted', middle, { chunkSize: 2, timeout: 300, settle: true });
    expect(around.map((entry) => entry.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected', 'fulfilled', 'fulfilled']);
  });
  it("counts a chunk's timeout from when it is sent, and never queues a chunk behind the map's own", async () => {
    const ws = workspace();
    const mod = await ws.hot<MapFixture>(ws.copy('map.ts'), { threads: 1 });
    // Each chunk runs 400 ms, under the 700 ms limit; queued behind the first, the second
    // would be over it by the time it ended.
    expect(await mod.map('spinCounted', [400, 400], { chunkSize: 1, timeout: 700 })).toEqual([1, 2]);
    // The module's callTimeout limits chunks the same way.
    const limited = await ws.hot<MapFixture>(ws.copy('map.ts', 'limited.ts'), { threads: 1, callTimeout: 700 });
    expect(await limited.map('spinCounted', [400, 400], { chunkSize: 1 })).toEqual([1, 2]);
  });
});
