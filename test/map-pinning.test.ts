import { describe, expect, it } from 'vitest';
import { counter } from './support/counter.js';
import { workspace } from './support/workspace.js';

type MapFixture = typeof import('./fixtures/map.ts');

describe('map() pinned to one version', () => {
  it('runs every chunk on the version current when it started; upgrade() and close() wait for it', async () => {
    const ws = workspace();
    const entry = ws.copy('map.ts');
    const mod = await ws.hot<MapFixture>(entry, { threads: 2 });
    const shared = counter();
    ws.defer(() => shared.release());
    const inputs = Array.from({ length: 12 }, (_, i) => ({ cells: shared.cells, hold: i === 0 }));
    const mapping = mod.map('counted', inputs, { chunkSize: 1 });
    await shared.started(1);

    ws.write('map.ts', ws.fixture('map.ts').replace("VERSION = 'v1'", "VERSION = 'v2'"));
    let upgraded = false;
    const upgrading = mod.upgrade().then(() => {
      upgraded = true;
    });
    // New calls reach v2 while the map still holds v1.
    await expect.poll(() => mod.version.id, { timeout: 15_000 }).toBe(2);
    expect(await mod.api.counted({ cells: new Int32Array(new SharedArrayBuffer(8)) })).toBe('v2');
    expect(upgraded).toBe(false);
    expect(mod.stats.alive.map((generation) => generation.version.id)).toEqual([1, 2]);

    shared.release();
    expect(new Set(await mapping)).toEqual(new Set(['v1']));
    await upgrading;
    expect(mod.stats.alive.map((generation) => generation.version.id)).toEqual([2]);

    // close() lets a running map finish.
    const second = counter();
    ws.defer(() => second.release());
    const last = mod.map(
      'counted',
      Array.from({ length: 8 }, (_, i) => ({ cells: second.cells, hold: i === 0 })),
      { chunkSize: 2 },
    );
    await second.started(1);
    let closed = false;
    const closing = mod.close().then(() => {
      closed = true;
    });
    await expect(mod.api.square(2)).rejects.toMatchObject({ code: 'ERR_HOT_CLOSED' });
    expect(closed).toBe(false);
    second.release();
    expect(await last).toEqual(Array(8).fill('v2'));
    await closing;
  });

  it('holds its version while an async input pauses with no chunk in flight', async () => {
    const ws = workspace();
    const mod = await ws.hot<MapFixture>(ws.copy('map.ts'), { threads: 2 });
    let resume!: () => void;
    const paused = new Promise<void>((resolve) => {
      resume = resolve;
    });
    ws.defer(() => resume());
    async function* source() {
      yield 1;
      yield 2;
      await paused;
      yield 3;
      yield 4;
    }
    let firstChunk!: () => void;
    const firstChunkDone = new Promise<void>((resolve) => {
      firstChunk = resolve;
    });
    const mapping = mod.map('where', source(), { chunkSize: 2, onProgress: (done) => done === 2 && firstChunk() });
    await firstChunkDone;

    ws.write('map.ts', ws.fixture('map.ts').replace("VERSION = 'v1'", "VERSION = 'v2'"));
    const upgrading = mod.upgrade();
    await expect.poll(() => mod.version.id, { timeout: 15_000 }).toBe(2);
    // No chunk of the map is running, yet v1 still counts it in flight: its drain waits.
    expect(mod.stats.alive.map(({ version, inFlight }) => [version.id, inFlight])).toEqual([
      [1, 1],
      [2, 0],
    ]);
    resume();
    expect((await mapping).map((result) => result.version)).toEqual(['v1', 'v1', 'v1', 'v1']);
    await upgrading;
    expect(mod.stats.alive.map((generation) => generation.version.id)).toEqual([2]);
  });
});
