/**
 * Calls that wait together travel together.
 *
 * piscina hands a worker its next task only once the worker's previous answer is back on the
 * host's thread, so a pool of quick functions spends most of each call on that round trip: two
 * threads answer about 36,000 trivial calls a second however many wait (README, "Coalesced
 * calls"). When every worker is busy and calls already wait in the pool's queue, a plain call
 * (no options, no callbacks, no stream) of a function known to be quick joins the other calls
 * to that function made in the same turn of the event loop; at the end of the turn they go to
 * the pool as batches, each one task. A worker runs a batch's calls one after another, each as
 * its own task would run (workers/batch.ts), and answers them all at once.
 *
 * What a call can tell apart from a task of its own: nothing, save its result arriving with the
 * rest of its batch. Its result, or its own error, is the same; its version is the same (a
 * batch is one generation's); the drain waits for it the same. Should the thread die while
 * running a batch, the calls it finished get their answers (from the worker's exit report), the
 * call it was running fails as a call would, and the calls it never began are sent again. When
 * it dies without running JavaScript (out of memory), the calls it finished fail with that
 * death as well: their answers were never sent.
 *
 * How long one call may be held behind others is bounded: a batch holds about
 * {@link HOLD_BUDGET_MS} of its function's measured time, {@link MAX_BATCH} calls at most, and
 * a function whose calls take longer than that budget alone is not batched (the round trip is
 * then a small part of its time anyway). A batch spreads over the pool's threads: calls of one
 * turn are cut into at least as many batches as there are threads.
 */
import { performance } from 'node:perf_hooks';
import type { Piscina } from 'piscina';
import { neverStarted } from './exit-settle.js';
import { type BatchOutcome, type BatchSalvage, type CallTask, type Fault, isFault, type PlainCall } from './protocol.js';

/** Most calls in one batch. */
export const MAX_BATCH = 256;
/** Milliseconds of its function's measured time one batch may hold, so a call waits behind others this long at most. */
export const HOLD_BUDGET_MS = 1;
/** The size of a function's first batches, before its time is known. */
const FIRST_BATCH = 4;
/** How long a function measured too slow to batch stays unbatched before one small batch measures it again. */
const REMEASURE_MS = 1_000;
/** The weight of the newest batch in a function's mean time per call. */
const SMOOTHING = 0.3;

/** A call of a batch that its worker never began: safe to send again (src/generation.ts). */
export class UnbegunCall {
  /** What ended the batch: the thread's death, the end of the pool, or a failed send. */
  readonly cause: unknown;
  /**
   * True when the batch reached a worker that died before beginning this call (a re-send
   * `stats.resentCalls` counts). False when the batch never left this thread (an argument of
   * one of its calls could not be cloned): its calls go again alone, and only that one fails.
   */
  readonly reachedWorker: boolean;

  constructor(cause: unknown, reachedWorker: boolean) {
    this.cause = cause;
    this.reachedWorker = reachedWorker;
  }
}

interface Entry {
  readonly args: readonly unknown[];
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/** What is known of one function's speed. */
interface Timing {
  /** Milliseconds per call, smoothed over its batches. */
  readonly meanMs: number;
  /** Calls one batch of it may hold. */
  readonly limit: number;
  /** When it was last measured (`performance.now()`). */
  readonly at: number;
}

/**
 * Holds the plain calls of one generation that arrive while its pool is saturated, and sends
 * them as batches. `send` runs one task on the generation's pool (or rejects once it has ended).
 */
export class Coalescer {
  readonly #pool: Piscina;
  readonly #threads: number;
  readonly #send: (task: PlainCall | CallTask) => Promise<unknown>;
  /** Calls waiting for the end of this turn, by function; a flush is queued while it holds any. */
  readonly #open = new Map<string, Entry[]>();
  /** The batches sent and not yet answered. */
  readonly #pending = new Set<{ readonly size: number; readonly begun: Int32Array }>();
  #nextId = 1;
  readonly #timing = new Map<string, Timing>();
  /** What the batches cut short by their thread's death had answered, by batch id, until their rejection comes. */
  readonly #salvaged = new Map<number, BatchSalvage>();
  readonly #onBatch: (calls: number) => void;

  /** `onBatch` is told the number of calls of each batch sent. */
  constructor(pool: Piscina, threads: number, send: (task: PlainCall | CallTask) => Promise<unknown>, onBatch: (calls: number) => void) {
    this.#pool = pool;
    this.#threads = threads;
    this.#send = send;
    this.#onBatch = onBatch;
  }

  /**
   * Keeps what a batch cut short by its thread's death had answered (from the worker's exit
   * report) until piscina rejects the batch: Node delivers what a worker posted on its
   * parentPort before its 'error' and 'exit', so the report always comes first.
   */
  salvage(batch: BatchSalvage): void {
    this.#salvaged.set(batch.id, batch);
  }

  /**
   * Calls held here that wait for a thread, beyond the one task the pool counts for each batch:
   * those of this turn not sent yet, and those of each batch sent that its worker has not begun.
   */
  get waiting(): number {
    let calls = 0;
    for (const entries of this.#open.values()) calls += entries.length;
    for (const { size, begun } of this.#pending) calls += size - Math.max(1, Atomics.load(begun, 0));
    return calls;
  }

  /**
   * True when a plain call of `fn` made now would wait anyway (calls already wait in the pool's
   * queue) and `fn` is quick enough to share a batch.
   */
  accepts(fn: string): boolean {
    return this.#open.has(fn) || (this.#pool.queueSize > 0 && this.#limit(fn) > 1);
  }

  /** Adds a call to this turn's batch of `fn`; settles as its task would have. */
  add(fn: string, args: readonly unknown[]): Promise<unknown> {
    let entries = this.#open.get(fn);
    if (entries === undefined) {
      if (this.#open.size === 0) queueMicrotask(this.#flush);
      entries = [];
      this.#open.set(fn, entries);
    }
    const list = entries;
    return new Promise((resolve, reject) => {
      list.push({ args, resolve, reject });
    });
  }

  readonly #flush = (): void => {
    for (const [fn, entries] of this.#open) {
      const size = Math.max(1, Math.min(this.#limit(fn), Math.ceil(entries.length / this.#threads)));
      for (let from = 0; from < entries.length; from += size) this.#dispatch(fn, entries.slice(from, from + size));
    }
    this.#open.clear();
  };

  #dispatch(fn: string, entries: Entry[]): void {
    // One call alone goes as a plain task: its rejection is piscina's own, as a lone call's.
    if (entries.length === 1) {
      const [entry] = entries as [Entry];
      this.#send([fn, ...entry.args]).then(entry.resolve, entry.reject);
      return;
    }
    const id = this.#nextId++;
    const begun = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
    this.#onBatch(entries.length);
    const pending = { size: entries.length, begun };
    this.#pending.add(pending);
    this.#send({ fn, args: entries.map((entry) => entry.args), batch: { id, begun } }).then(
      (outcome) => {
        this.#pending.delete(pending);
        this.#answered(id, fn, entries, outcome as BatchOutcome);
      },
      (error: unknown) => {
        this.#pending.delete(pending);
        this.#broken(id, Atomics.load(begun, 0), entries, error);
      },
    );
  }

  /** A batch's task resolves only with the worker's {@link BatchOutcome} (workers/batch.ts). */
  #answered(id: number, fn: string, entries: Entry[], outcome: BatchOutcome): void {
    // Answered just before its thread died: the exit report's copy is not needed.
    this.#salvaged.delete(id);
    this.#measured(fn, outcome.ms / entries.length);
    settle(entries, outcome, entries.length);
  }

  /**
   * The batch failed as a whole: a fault before any call ran (the function is missing from the
   * worker), the thread's death, the pool's end, or its send (an argument that cannot be cloned).
   * Of a death, the calls the worker finished get their answers when its exit report had them,
   * and those it never began get {@link UnbegunCall}.
   */
  #broken(id: number, begun: number, entries: Entry[], error: unknown): void {
    const salvage = this.#salvaged.get(id);
    this.#salvaged.delete(id);
    if (isFault(error)) {
      for (const entry of entries) entry.reject(error);
      return;
    }
    const finished = salvage === undefined ? 0 : Math.min(salvage.finished, begun);
    if (salvage !== undefined) settle(entries, salvage, finished);
    // Begun, or vouched for as having reached a worker that died before it (exit-settle.ts).
    const reachedWorker = begun > 0 || neverStarted(error);
    for (let i = finished; i < entries.length; i++) {
      (entries[i] as Entry).reject(i >= begun ? new UnbegunCall(error, reachedWorker) : error);
    }
  }

  /** Calls one batch of `fn` may hold now: 1 means not to batch it. */
  #limit(fn: string): number {
    const timing = this.#timing.get(fn);
    if (timing === undefined) return FIRST_BATCH;
    if (timing.limit > 1 || performance.now() - timing.at < REMEASURE_MS) return timing.limit;
    return 2;
  }

  #measured(fn: string, msPerCall: number): void {
    const before = this.#timing.get(fn);
    const meanMs = before === undefined ? msPerCall : before.meanMs + SMOOTHING * (msPerCall - before.meanMs);
    const limit = Math.max(1, Math.min(MAX_BATCH, Math.floor(HOLD_BUDGET_MS / Math.max(meanMs, 1e-6))));
    this.#timing.set(fn, { meanMs, limit, at: performance.now() });
  }
}

/** Settles the first `count` entries from what the worker answered for them. */
function settle(entries: Entry[], answers: Pick<BatchOutcome, 'values' | 'failures'>, count: number): void {
  const failed = new Map<number, Fault>(answers.failures);
  for (let i = 0; i < count; i++) {
    const entry = entries[i] as Entry;
    const fault = failed.get(i);
    if (fault === undefined) entry.resolve(answers.values[i]);
    else entry.reject(fault);
  }
}
