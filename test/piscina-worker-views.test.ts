// hotworker's pools keep one balancer view per worker (src/piscina-views.ts): piscina builds a
// new one at every read, and those end up in the old generation by the thousand per second.
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { afterEach, describe, expect, it } from 'vitest';
import { createHandoff } from '../dist/src/handoff.js';
import { keepWorkerViews } from '../dist/src/piscina-views.js';
import { createPool } from '../dist/src/pool.js';

const echo = fileURLToPath(new URL('./fixtures/piscina-echo.cjs', import.meta.url));
const pools: Piscina[] = [];

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.destroy()));
});

/** A one-thread pool whose balancer records the view of the worker it is shown, task after task. */
function recordingPool(): { pool: Piscina; seen: unknown[] } {
  const seen: unknown[] = [];
  const pool = new Piscina({
    filename: echo,
    minThreads: 1,
    maxThreads: 1,
    loadBalancer: (_task, workers) => {
      const [worker] = workers;
      seen.push(worker);
      return worker !== undefined && worker.currentUsage === 0 ? worker : null;
    },
  });
  pools.push(pool);
  return { pool, seen };
}

async function runInTurn(pool: Piscina, count: number): Promise<void> {
  for (let i = 0; i < count; i++) expect(await pool.run(i)).toBe(i);
}

describe('piscina worker views', () => {
  it('piscina alone builds a new view of the same worker for every task it places', async () => {
    const { pool, seen } = recordingPool();
    await runInTurn(pool, 3);
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('keepWorkerViews() makes each worker show the view it was created with, its getters live', async () => {
    const { pool, seen } = recordingPool();
    keepWorkerViews(pool);
    const created = once(pool, 'workerCreate');
    const [view] = await created;
    await runInTurn(pool, 3);
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(new Set(seen)).toEqual(new Set([view]));
    // The kept view still reads the worker's state as it is now, not as it was when kept.
    expect((view as { id: number }).id).toBe(pool.threads[0]?.threadId);
    expect((view as { currentUsage: number }).currentUsage).toBe(0);
  });

  it('a pool hotworker makes keeps its views: a worker leaves with the view it came with', async () => {
    const pool = createPool({ minThreads: 1, maxThreads: 1, resourceLimits: undefined, atomics: 'async' }, { handoff: createHandoff() });
    const [created] = await once(pool, 'workerCreate');
    const destroyed = once(pool, 'workerDestroy');
    await pool.destroy();
    const [gone] = await destroyed;
    expect(gone).toBe(created);
  });
});
