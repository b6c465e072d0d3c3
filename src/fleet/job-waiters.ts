/**
 * The producer's waiting calls, each settled by its job's end as the events stream tells it.
 * BullMQ's own `job.waitUntilFinished()` adds three listeners per call (one of them on the
 * shared Queue, whose removal scans every other waiter's: 100,000 calls in flight cost seconds
 * of main-thread time) and a Redis round trip; here every call is one entry in a Map, and the
 * stream is listened to once.
 *
 * Some ends send no event: a job cleaned (`queue.clean()`), drained (`queue.drain()`) or
 * obliterated is deleted without a word, and an end can be missed (the events stream trimmed
 * while the producer was disconnected). So every `checkEveryMs`, the calls that have waited at
 * least that long look their job up: one that finished is settled from the job itself, and one
 * whose job is gone at two checks in a row rejects `ERR_HOT_JOB_REMOVED` (two, because a job
 * removed on completion is gone before its 'completed' event may have been read).
 */
import type { QueueEvents } from 'bullmq';
import { HotError } from '../errors.js';
import { rebuildFailure } from './failure.js';

/** Ends heard before their call waited for them (its `add()` reply came after the job's end). */
const EARLY_KEPT = 1024;
/** Jobs looked up per round trip of a check. */
const CHECK_BATCH = 1000;

/** How a job ended: its result, or its failure reason (`removed`: it was deleted before it finished). */
export type Outcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly reason: string; readonly removed?: true };

/**
 * Looks jobs up in Redis, for each id: `undefined` when the job is gone, `null` while it has
 * not finished, its {@link Outcome} once it has.
 */
export type JobLookup = (jobIds: readonly string[]) => Promise<ReadonlyArray<Outcome | null | undefined>>;

interface Waiter {
  readonly name: string;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  /** performance.now() when the call began waiting. */
  readonly since: number;
  /** Set when the last check found the job gone. */
  missing: boolean;
}

export class JobWaiters {
  readonly #waiting = new Map<string, Waiter>();
  /**
   * Ends of jobs no call waits for (yet), newest last. The job's `add()` reply and its end come
   * over two connections, so the end can be heard first; a call looks here before it waits.
   * The jobs of other producers on the queue pass through too, hence the bound.
   */
  readonly #early = new Map<string, Outcome>();
  #closed: HotError | undefined;
  readonly #lookup: JobLookup | undefined;
  readonly #checkEveryMs: number;
  #checkTimer: NodeJS.Timeout | undefined;
  #onCheckError: ((error: Error) => void) | undefined;

  /**
   * @param lookup - looks jobs up for the periodic check; without it, a call whose job ends
   *   without an event waits until {@link close}
   * @param checkEveryMs - how often calls that have waited this long look their job up;
   *   `Infinity` never
   * @param onCheckError - told when a check fails (Redis unreachable, say); the next one retries
   */
  constructor(events: QueueEvents, lookup?: JobLookup, checkEveryMs = Number.POSITIVE_INFINITY, onCheckError?: (error: Error) => void) {
    this.#lookup = lookup;
    this.#checkEveryMs = checkEveryMs;
    this.#onCheckError = onCheckError;
    events.on('completed', ({ jobId, returnvalue }) => this.#end(jobId, { ok: true, value: returnvalue }));
    events.on('failed', ({ jobId, failedReason }) => this.#end(jobId, { ok: false, reason: failedReason }));
    events.on('removed', ({ jobId }) => this.#end(jobId, { ok: false, reason: '', removed: true }));
  }

  /** Resolves with job `jobId`'s result, or rejects with its failure rebuilt; `name` is the function it calls. */
  wait(jobId: string, name: string): Promise<unknown> {
    if (this.#closed !== undefined) return Promise.reject(this.#closed);
    const early = this.#early.get(jobId);
    if (early !== undefined) {
      this.#early.delete(jobId);
      return early.ok ? Promise.resolve(early.value) : Promise.reject(failure(early, jobId, name));
    }
    return new Promise((resolve, reject) => {
      this.#waiting.set(jobId, { name, resolve, reject, since: performance.now(), missing: false });
      this.#scheduleCheck();
    });
  }

  /** Rejects every waiting call with `error`, and any later one. */
  close(error: HotError): void {
    this.#closed = error;
    clearTimeout(this.#checkTimer);
    this.#checkTimer = undefined;
    for (const waiter of this.#waiting.values()) waiter.reject(error);
    this.#waiting.clear();
    this.#early.clear();
  }

  /** Calls waiting now. */
  get size(): number {
    return this.#waiting.size;
  }

  #end(jobId: string, outcome: Outcome): void {
    const waiter = this.#waiting.get(jobId);
    if (waiter === undefined) {
      if (this.#closed !== undefined) return;
      this.#early.set(jobId, outcome);
      if (this.#early.size > EARLY_KEPT) this.#early.delete(this.#early.keys().next().value as string);
      return;
    }
    this.#settle(jobId, waiter, outcome);
  }

  #settle(jobId: string, waiter: Waiter, outcome: Outcome): void {
    this.#waiting.delete(jobId);
    if (outcome.ok) waiter.resolve(outcome.value);
    else waiter.reject(failure(outcome, jobId, waiter.name));
  }

  /** Arms the next check while calls wait (a pending check never keeps the process alive). */
  #scheduleCheck(): void {
    if (this.#checkTimer !== undefined || this.#lookup === undefined || !Number.isFinite(this.#checkEveryMs)) return;
    this.#checkTimer = setTimeout(() => void this.#check(), this.#checkEveryMs);
    this.#checkTimer.unref();
  }

  /** Looks up the jobs of calls that have waited at least `checkEveryMs`, oldest first, then arms the next check. */
  async #check(): Promise<void> {
    const lookup = this.#lookup as JobLookup;
    const cutoff = performance.now() - this.#checkEveryMs;
    const due: Array<[string, Waiter]> = [];
    // The Map keeps the order calls began waiting in: the first one too young ends the list.
    for (const entry of this.#waiting) {
      if (entry[1].since > cutoff) break;
      due.push(entry);
    }
    try {
      for (let start = 0; start < due.length && this.#closed === undefined; start += CHECK_BATCH) {
        const batch = due.slice(start, start + CHECK_BATCH);
        const found = await lookup(batch.map(([jobId]) => jobId));
        for (const [i, [jobId, waiter]] of batch.entries()) this.#checked(jobId, waiter, found[i]);
      }
    } catch (error) {
      this.#onCheckError?.(error as Error);
    }
    this.#checkTimer = undefined;
    if (this.#closed === undefined && this.#waiting.size > 0) this.#scheduleCheck();
  }

  #checked(jobId: string, waiter: Waiter, found: Outcome | null | undefined): void {
    // Settled (or closed) while the lookup was on its way.
    if (this.#waiting.get(jobId) !== waiter) return;
    if (found === null) {
      waiter.missing = false;
    } else if (found !== undefined) {
      this.#settle(jobId, waiter, found);
    } else if (waiter.missing) {
      this.#settle(jobId, waiter, { ok: false, reason: '', removed: true });
    } else {
      waiter.missing = true;
    }
  }
}

function failure(outcome: Outcome & { ok: false }, jobId: string, name: string): Error {
  if (outcome.removed) {
    return new HotError(
      'ERR_HOT_JOB_REMOVED',
      `Job ${jobId} (${name}) was removed from the queue before it finished (job.remove(), queue.clean(), queue.drain(), or a deduplicated job replacing it); add it again to run it`,
      { fn: name },
    );
  }
  return rebuildFailure(outcome.reason, name);
}
