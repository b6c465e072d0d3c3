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
 * Terminates every worker of `pool` and resolves once none is left: neither the pool's, nor one
 * it removed earlier that was still exiting, nor one piscina started when that one exited.
 */
export async function endPool(pool: Piscina): Promise<void> {
  const leaving = leavingWorkers.get(pool);
  for (;;) {
    await pool.destroy();
    // Exit listeners run in the order they were added: piscina's own (which may start new
    // workers) runs before this wait ends, so `threads` below shows what it started.
    if (leaving !== undefined && leaving.size > 0) await Promise.all([...leaving].map(exited));
    if (pool.threads.length === 0) return;
  }
}

/** Resolves when `worker` exits (never rejects: an 'error' before the exit is piscina's to report). */
function exited(worker: Worker): Promise<void> {
  return new Promise((resolve) => worker.once('exit', () => resolve()));
}
