/**
 * The producer's waiting calls, each settled by its job's end as the events stream tells it.
 * BullMQ's own `job.waitUntilFinished()` adds three listeners per call (one of them on the
 * shared Queue, whose removal scans every other waiter's: 100,000 calls in flight cost seconds
 * of main-thread time) and a Redis round trip; here every call is one entry in a Map, and the
 * stream is listened to once.
 */
import type { QueueEvents } from 'bullmq';
import { HotError } from '../errors.js';
import { rebuildFailure } from './failure.js';

/** Ends heard before their call waited for them (its `add()` reply came after the job's end). */
const EARLY_KEPT = 1024;

type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly reason: string; readonly removed?: true };

interface Waiter {
  readonly name: string;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
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

  constructor(events: QueueEvents) {
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
    return new Promise((resolve, reject) => this.#waiting.set(jobId, { name, resolve, reject }));
  }

  /** Rejects every waiting call with `error`, and any later one. */
  close(error: HotError): void {
    this.#closed = error;
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
    this.#waiting.delete(jobId);
    if (outcome.ok) waiter.resolve(outcome.value);
    else waiter.reject(failure(outcome, jobId, waiter.name));
  }
}

function failure(outcome: Outcome & { ok: false }, jobId: string, name: string): Error {
  if (outcome.removed) {
    return new HotError(
      'ERR_HOT_JOB_REMOVED',
      `Job ${jobId} (${name}) was removed from the queue before it finished (job.remove(), or a deduplicated job replacing it); add it again to run it`,
      { fn: name },
    );
  }
  return rebuildFailure(outcome.reason, name);
}
