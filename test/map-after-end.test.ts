import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { counter } from './support/counter.js';
import { workspace } from './support/workspace.js';

type MapFixture = typeof import('./fixtures/map.ts');

describe('a map() that has settled does nothing more', () => {
  it.each([
    // Its chunks still running end with results...
    { name: 'results', options: {} },
    // ...or fail as a whole (the worker of a chunk over its time is replaced).
    { name: 'a failed chunk', options: { settle: true, timeout: 1_000 } },
  ])('tells onProgress nothing after it was aborted: $name', async ({ options }) => {
    const ws = workspace();
    const mod = await ws.hot<MapFixture>(ws.copy('map.ts'), { threads: 2 });
    const shared = counter();
    ws.defer(() => shared.release());
    const inputs = Array.from({ length: 8 }, () => ({ cells: shared.cells, hold: true }));
    const controller = new AbortController();
    let told = 0;
    const mapping = mod.map('counted', inputs, { chunkSize: 1, signal: controller.signal, onProgress: () => told++, ...options });
    await shared.started(2);
    controller.abort(new Error('stop'));
    await expect(mapping).rejects.toThrow('stop');
    if (options.timeout === undefined) shared.release();
    await expect.poll(() => mod.stats.inFlight, { timeout: 10_000 }).toBe(0);
    expect(told).toBe(0);
  });

  it('leaves no listener on its signal, resolved or rejected', async () => {
    const ws = workspace();
    const mod = await ws.hot<MapFixture>(ws.copy('map.ts'), { threads: 2 });
    const { signal } = new AbortController();
    expect(await mod.map('square', [1, 2, 3], { signal, chunkSize: 1 })).toEqual([1, 4, 9]);
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
    await expect(mod.map('failOdd', [2, 3], { signal, chunkSize: 1 })).rejects.toThrow('odd input 3');
    await expect.poll(() => mod.stats.inFlight).toBe(0);
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  });
});
