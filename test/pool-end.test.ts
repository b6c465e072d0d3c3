// Ending a pool for good (src/pool-end.ts). piscina's destroy() forgets that the pool was
// destroyed once the workers it had are gone; a worker it had removed earlier (an aborted
// call's, terminated at once) that exits only after that is replaced, into the ended pool, by
// minThreads new workers. endPool() waits for that worker too and ends what its exit started.
import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { afterEach, describe, expect, it } from 'vitest';
import { endPool, trackLeavingWorkers } from '../dist/src/pool-end.js';
import { workspace } from './support/workspace.js';

const pools: Piscina[] = [];
afterEach(async () => {
  for (const pool of pools.splice(0)) await pool.destroy();
});

function exited(worker: Worker): Promise<void> {
  return new Promise((resolve) => worker.once('exit', () => resolve()));
}

/** A 2-thread pool whose running call is aborted while its worker is stuck in a system call; that worker and the FIFO that frees it. */
async function poolWithAStuckWorker(track: boolean): Promise<{ pool: Piscina; stuck: Worker; release: () => void }> {
  const ws = workspace();
  const fifo = join(ws.dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const pool = new Piscina({
    filename: new URL('./fixtures/scripts/blocks-on-fifo.cjs', import.meta.url).href,
    minThreads: 2,
    maxThreads: 2,
    atomics: 'async',
  });
  pools.push(pool);
  if (track) trackLeavingWorkers(pool);
  const cells = new Int32Array(new SharedArrayBuffer(4));
  const abort = new AbortController();
  pool.run({ fifo, cells }, { signal: abort.signal }).catch(() => undefined);
  await Atomics.waitAsync(cells, 0, 0).value;
  const stuck = pool.threads.find((worker) => worker.threadId === Atomics.load(cells, 0));
  if (stuck === undefined) throw new Error('the worker running the call is not in the pool');
  // Opening the FIFO's other end succeeds only once the worker is in open(); it then waits in
  // read() for data that comes at release().
  let writer = -1;
  await expect
    .poll(
      () => {
        try {
          writer = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
          return true;
        } catch {
          return false;
        }
      },
      { timeout: 10_000, interval: 5 },
    )
    .toBe(true);
  // piscina terminates the worker (which cannot stop inside a system call) and starts a replacement.
  abort.abort();
  return {
    pool,
    stuck,
    release: () => {
      writeSync(writer, 'go');
      closeSync(writer);
    },
  };
}

describe.skipIf(process.platform === 'win32')('endPool', () => {
  it('waits for a worker removed earlier to exit, and ends the workers piscina starts when it does', async () => {
    const { pool, stuck, release } = await poolWithAStuckWorker(true);
    // The worker is freed only once piscina's own destroy() has finished, as in the interleaving.
    const destroy = pool.destroy.bind(pool);
    let destroyed: Promise<void> | undefined;
    pool.destroy = () => {
      const destroying = destroy();
      destroyed ??= destroying;
      return destroying;
    };
    const ended = endPool(pool);
    await destroyed;
    const stuckExited = exited(stuck);
    release();
    await stuckExited;
    await ended;
    expect(pool.threads).toHaveLength(0);
    // A turn later, still nothing was started.
    await new Promise((resolve) => setImmediate(resolve));
    expect(pool.threads).toHaveLength(0);
  });

  it('stops waiting after waitMs for a worker that does not exit, and ends what its later exit starts', async () => {
    const { pool, stuck, release } = await poolWithAStuckWorker(true);
    // Resolves while the worker is still stuck: closing never waits forever on a thread nobody can end.
    await endPool(pool, 50);
    expect(pool.threads).toHaveLength(0);
    const stuckExited = exited(stuck);
    release();
    await stuckExited;
    // piscina started workers in the pool when the worker exited; they are ended in turn.
    await expect.poll(() => pool.threads.length, { timeout: 10_000 }).toBe(0);
  });

  it('is needed: with piscina alone, that late exit starts minThreads workers in the destroyed pool', async () => {
    const { pool, stuck, release } = await poolWithAStuckWorker(false);
    await pool.destroy();
    expect(pool.threads).toHaveLength(0);
    const stuckExited = exited(stuck);
    release();
    await stuckExited;
    expect(pool.threads).toHaveLength(2);
  });
});
