/**
 * loadTimeout counts from before the pool starts its workers (piscina starts them inside its
 * constructor): time spent starting them is part of loading, so a huge thread count cannot
 * stretch the limit. Shown on a clock that says starting the pool took the whole limit.
 */
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { workspace } from './support/workspace.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('loadTimeout and the time the pool takes to start', () => {
  it('a pool whose start used up loadTimeout fails the load with ERR_HOT_LOAD naming loadTimeout', async () => {
    const ws = workspace();
    const entry = ws.copy('math.ts');
    const loadTimeout = 60_000;
    // The clock moves a whole loadTimeout between any two readings: the load proof reads it
    // when the pool starts and again when it arms its limit.
    const now = performance.now.bind(performance);
    let readings = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => now() + loadTimeout * readings++);
    const error = await ws.hot(entry, { threads: 1, loadTimeout }).catch((caught: unknown) => caught);
    vi.restoreAllMocks();
    expect(error).toMatchObject({ code: 'ERR_HOT_LOAD', option: 'loadTimeout', version: 1 });
    expect((error as Error).message).toMatch(/within `loadTimeout` \(60000 ms\): 0 of 1 workers ready/);
    // On the real clock the same module loads.
    await expect(ws.hot(entry, { threads: 1, loadTimeout })).resolves.toBeDefined();
  });
});
