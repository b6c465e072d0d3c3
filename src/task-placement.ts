/**
 * Whether piscina has handed a call's task to a worker yet, or still holds it in its queue.
 *
 * piscina aborts the two differently: a queued task is dropped, a task in a worker ends that
 * worker (it cannot stop running code otherwise), and the pool boots another in its place.
 * `hotworker serve` aborts the call of a client that went away; it drops a queued call at once
 * but gives a running one a grace to finish first (call-signal.ts, `CallSignal.abandon`), so
 * that a client closing its connection mid-call does not cost a thread boot.
 *
 * piscina tells neither through its API: this reads piscina 5's `WorkerInfo.taskInfos` (the
 * tasks posted to a worker) and `TaskInfo.abortSignal` (the signal given to `run()`), reached
 * through the balancer view of its public `'workerCreate'` event (piscina-views.ts). On a
 * piscina shaped otherwise it answers `undefined`, and the caller aborts at once, as before.
 */
import type { Piscina } from 'piscina';
import { workerOf } from './piscina-views.js';

/** What this module reads of piscina 5's `WorkerInfo`; checked at run time, never assumed. */
interface WorkerRecord {
  /** Set once piscina has ended the worker (it also empties `taskInfos` then). */
  readonly destroyed: boolean;
  readonly taskInfos: Map<unknown, { readonly abortSignal?: unknown }>;
}

/**
 * The workers of one pool, as piscina's records: added at `'workerCreate'`; those piscina has
 * ended are dropped when the next one is created, so the set never outgrows the pool by more
 * than the workers replaced since, and no listener is added to any worker.
 */
export class TaskPlacement {
  readonly #records = new Set<WorkerRecord>();
  /** False once a worker record was not shaped as expected: answers are unknown from then on. */
  #readable = true;

  /** @internal Use {@link trackPlacement}. */
  constructor(pool: Piscina) {
    placements.set(pool, this);
    pool.on('workerCreate', (view: unknown) => {
      const record = workerOf(view);
      if (!isWorkerRecord(record)) {
        this.#readable = false;
        return;
      }
      for (const ended of this.#records) if (ended.destroyed) this.#records.delete(ended);
      this.#records.add(record);
    });
  }

  /** How many worker records are kept (for tests): the live workers, and those ended since the last one was created. */
  get size(): number {
    return this.#records.size;
  }

  /**
   * True when the task run with `signal` has been handed to a worker (it runs, or is about to:
   * a worker takes one task at a time); false while piscina still queues it, or after it
   * settled; `undefined` when this piscina cannot tell.
   */
  isPlaced(signal: object): boolean | undefined {
    if (!this.#readable) return undefined;
    for (const record of this.#records) {
      if (record.destroyed) continue;
      for (const task of record.taskInfos.values()) {
        if (task.abortSignal === signal) return true;
      }
    }
    return false;
  }
}

const placements = new WeakMap<Piscina, TaskPlacement>();

/** Starts following which tasks `pool`'s workers hold. Call before the pool starts a worker. */
export function trackPlacement(pool: Piscina): TaskPlacement {
  return new TaskPlacement(pool);
}

/** What {@link trackPlacement} started for `pool`, if it was called. */
export function placementOf(pool: Piscina): TaskPlacement | undefined {
  return placements.get(pool);
}

function isWorkerRecord(record: object | undefined): record is WorkerRecord {
  if (record === undefined) return false;
  const candidate = record as { destroyed?: unknown; taskInfos?: unknown };
  return typeof candidate.destroyed === 'boolean' && candidate.taskInfos instanceof Map;
}
