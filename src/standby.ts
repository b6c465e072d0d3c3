/**
 * Standby workers: a pool booted ahead of an upgrade, its dispatcher loaded, that has never run
 * user code. An upgrade (or restart, or rollback) hands it the new bundle instead of booting
 * threads, so the new version's load proof starts with threads already up. A standby pool is
 * handed exactly one version (src/handoff.ts): no thread ever serves two.
 */
import type { Piscina } from 'piscina';
import { createHandoff, STANDBY_READY, type StandbyReport, writeHandoff } from './handoff.js';
import { createPool, type PoolSettings } from './pool.js';
import { endPool } from './pool-end.js';
import { hasType, type WorkerData } from './protocol.js';

export class Standby {
  readonly #pool: Piscina;
  readonly #handoff = createHandoff();
  readonly #minThreads: number;
  /** Threads that said they wait for a bundle and have not exited since. */
  readonly #ready = new Set<number>();
  /** Set once the pool is handed a version or destroyed: it never serves as a standby again. */
  #done = false;
  /** Set once handed a version: the generation it became owns the pool from then on. */
  #claimed = false;
  /** Resolved with true once ready, or false once handed out or destroyed first. */
  readonly #waiters = new Set<(ready: boolean) => void>();
  #destroying: Promise<void> | undefined;
  readonly #onMessage = (message: unknown) => {
    if (!isStandbyReport(message)) return;
    this.#ready.add(message.threadId);
    if (this.ready) this.#wake(true);
  };
  readonly #onWorkerDestroy = (worker: { id: number }) => this.#ready.delete(worker.id);

  /** Boots `settings.minThreads` workers in the background. */
  constructor(settings: PoolSettings) {
    this.#minThreads = settings.minThreads;
    this.#pool = createPool(settings, { handoff: this.#handoff });
    // Always listen: an unheard 'error' from a dying idle worker would crash the host. piscina
    // replaces the worker; the replacement says it is ready in its turn.
    this.#pool.on('error', ignore);
    this.#pool.on('message', this.#onMessage);
    this.#pool.on('workerDestroy', this.#onWorkerDestroy);
  }

  /** True while every initial worker is booted and waiting, and the pool was not handed out. */
  get ready(): boolean {
    return !this.#done && this.#ready.size >= this.#minThreads;
  }

  /** True once handed a version. */
  get claimed(): boolean {
    return this.#claimed;
  }

  /** Thread ids of the standby workers alive now. */
  get threadIds(): number[] {
    return this.#done ? [] : this.#pool.threads.map((worker) => worker.threadId);
  }

  /**
   * Resolves true once the pool is ready; false when it is handed out or destroyed first, or
   * still booting after `timeoutMs`.
   */
  whenReady(timeoutMs = Number.POSITIVE_INFINITY): Promise<boolean> {
    if (this.ready) return Promise.resolve(true);
    if (this.#done) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter = (ready: boolean) => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        resolve(ready);
      };
      const timer = Number.isFinite(timeoutMs) ? setTimeout(waiter, timeoutMs, false) : undefined;
      this.#waiters.add(waiter);
    });
  }

  #wake(ready: boolean): void {
    for (const waiter of [...this.#waiters]) waiter(ready);
  }

  /**
   * Hands the pool the version to run, when ready: its workers import `workerData.bundle`,
   * and workers it starts later do so at boot. Returns `undefined` when not ready (or the
   * worker data is too large to hand over): the caller starts a fresh pool instead.
   */
  claim(workerData: WorkerData): Piscina | undefined {
    if (!this.ready || !writeHandoff(this.#handoff, workerData)) return undefined;
    this.#done = true;
    this.#claimed = true;
    this.#wake(false);
    this.#pool.off('message', this.#onMessage);
    this.#pool.off('workerDestroy', this.#onWorkerDestroy);
    return this.#pool;
  }

  /** Terminates the standby workers, unless the pool was handed out (its generation ends it then). */
  destroy(): Promise<void> {
    this.#done = true;
    this.#wake(false);
    if (this.#claimed) return Promise.resolve();
    this.#destroying ??= endPool(this.#pool);
    return this.#destroying;
  }
}

function ignore(): void {}

function isStandbyReport(message: unknown): message is StandbyReport {
  return hasType(message, STANDBY_READY);
}
