/**
 * Makes a piscina pool keep one balancer view per worker instead of building a new one at every
 * read.
 *
 * piscina 5 shows its load balancer each worker through `WorkerInfo.interface`, a getter that
 * returns a new object literal with six getters of its own every time it is read. It reads it for
 * every worker on every task it places (`runTask`), and again for every worker each time one
 * frees up (`_onWorkerAvailable`). The view's getters read the worker's live state, so one view
 * per worker serves exactly as a new one each time does. Yet the new ones cost far more than
 * their size: V8 ends up placing them in the old generation, where only a full collection frees
 * them. Measured with `node --trace-gc-nvp`, 32 callers on a 2-thread pool, on the calling thread:
 *
 * | per call | promoted to the old generation | young-generation pauses per 1,000 calls |
 * | --- | --- | --- |
 * | piscina, no signal | 677 B → 0 B | 1.79 → 0.44 ms |
 * | piscina, a signal per call (every call with a timeout) | 1,291 B → 0 B | 4.34 → 0.48 ms |
 *
 * Done per pool, through piscina's public `workerCreate` event (which hands over that very view),
 * so other piscina pools in the process are left as they are. On a piscina shaped otherwise (no
 * worker behind the view) nothing changes: slower, never wrong.
 */
import type { Piscina } from 'piscina';

/** The description of piscina's symbol that links a view to its worker (`kWorkerData`). */
const WORKER_OF_VIEW = 'Piscina.kWorkerData';

/** From now on, each worker `pool` starts answers `interface` with the view it was created with. */
export function keepWorkerViews(pool: Piscina): void {
  pool.on('workerCreate', keepView);
}

function keepView(view: unknown): void {
  const worker = workerOf(view);
  if (worker === undefined || Object.hasOwn(worker, 'interface')) return;
  // An own property shadows the prototype's getter for this worker only.
  Object.defineProperty(worker, 'interface', { value: view, configurable: true });
}

/** The piscina worker record (`WorkerInfo`) behind a balancer view, or undefined on a piscina shaped otherwise. */
export function workerOf(view: unknown): object | undefined {
  if (typeof view !== 'object' || view === null) return undefined;
  for (const key of Object.getOwnPropertySymbols(view)) {
    if (key.description !== WORKER_OF_VIEW) continue;
    const worker = (view as Record<symbol, unknown>)[key];
    return typeof worker === 'object' && worker !== null ? worker : undefined;
  }
  return undefined;
}
