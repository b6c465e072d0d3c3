/**
 * Ending a piscina pool for good.
 *
 * piscina's `destroy()` terminates the workers the pool has, waits for them to exit, and then
 * forgets that the pool was destroyed. A worker it had removed *before* (the one an aborted call
 * was running on: piscina terminates it at once and starts a replacement) is not among them; if
 * that worker exits only after `destroy()` has resolved (it was inside a blocking system call,
 * say), piscina's exit handler sees a pool that is not being destroyed and starts `minThreads`
 * new workers in it, which nothing would ever end. Seen in the randomized interleaving test: two
 * threads left after `close()`, following an aborted call.
 *
 * {@link trackLeavingWorkers} notes every worker piscina removes until it has exited;
 * {@link endPool} destroys the pool, waits for those workers too, and destroys again whatever
 * their exit started.
 */
import type { Worker } from 'node:worker_threads';
import type { Piscina } from 'piscina';

/** Per pool: the workers piscina has removed that have not exited yet. */
const leavingWorkers = new WeakMap<Piscina, Set<Worker>>();

/** From now on, keeps track of the workers `pool` removes, until each has exited. Call once, before the pool runs a task. */
export function trackLeavingWorkers(pool: Piscina): void {
  const leaving = new Set<Worker>();
  leavingWorkers.set(pool, leaving);
  // piscina emits workerDestroy as it removes a worker, while the worker is still in `threads`.
  // A worker that has exited already (a crash: piscina removes it in its 'exit' handler) has
  // threadId -1, and so has its view: it is not leaving, it is gone.
  pool.on('workerDestroy', (view: { id?: unknown }) => {
    if (typeof view.id !== 'number' || view.id < 0) return;
    const worker = pool.threads.find((thread) => thread.threadId === view.id);
    if (worker === undefined || leaving.has(worker)) return;
    leaving.add(worker);
    worker.once('exit', () => leaving.delete(worker));
  });
}

/**
 * How long {@link endPool} waits for workers piscina removed earlier to exit. A thread inside a
 * system call that never returns cannot be ended by anyone; closing must not wait for it forever.
 */
export const LEAVING_WAIT_MS = 5_000;

/** Per pool: the end in progress, so that a late one (after a leaving worker exits) never overlaps another. */
const ending = new WeakMap<Piscina, Promise<void>>();

/**
 * Terminates every worker of `pool` and resolves once none is left: neither the pool's, nor one
 * it removed earlier that was still exiting (waited for up to `waitMs`), nor one piscina started
 * when that one exited. A removed worker still there after `waitMs` is left to exit on its own;
 * when it does, whatever piscina starts then is ended too.
 */
export function endPool(pool: Piscina, waitMs = LEAVING_WAIT_MS): Promise<void> {
  const previous = ending.get(pool) ?? Promise.resolve();
  const next = previous.then(() => endNow(pool, waitMs));
  ending.set(pool, next);
  return next;
}

async function endNow(pool: Piscina, waitMs: number): Promise<void> {
  const leaving = leavingWorkers.get(pool);
  for (;;) {
    await pool.destroy();
    // Exit listeners run in the order they were added: piscina's own (which may start new
    // workers) runs before this wait ends, so `threads` below shows what it started.
    if (leaving !== undefined && leaving.size > 0) {
      const stillLeaving = await allExited([...leaving], waitMs);
      for (const worker of stillLeaving) worker.once('exit', () => void endPool(pool, waitMs));
    }
    if (pool.threads.length === 0) return;
  }
}

/** Waits up to `ms` for every worker to exit; resolves with those that have not. Never rejects. */
async function allExited(workers: Worker[], ms: number): Promise<Worker[]> {
  const left = new Set(workers);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve) =>
            worker.once('exit', () => {
              left.delete(worker);
              resolve();
            }),
          ),
      ),
    ),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
  return [...left];
}
