/**
 * One version live: its piscina pool, the proof that it loaded, the calls it has accepted,
 * and its end (drain, then terminate every worker).
 */
import { performance } from 'node:perf_hooks';
import type { ResourceLimits, TransferListItem } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import { type Artifact, bundleSource } from './build.js';
import { CallLimit } from './call-limit.js';
import { CallSignal, type SignalLike } from './call-signal.js';
import { Coalescer, UnbegunCall } from './coalesce.js';
import { deadline } from './deadline.js';
import { HotError } from './errors.js';
import { neverStarted } from './exit-settle.js';
import { callError, exitError, isOutOfMemory, workerDeath } from './faults.js';
import type { CallOptions } from './options.js';
import { createPool } from './pool.js';
import { endPool } from './pool-end.js';
import { type CallTask, deserializeError, isExitReport, isLoadReport, PING, type PlainCall, type WorkerData } from './protocol.js';
import type { Standby } from './standby.js';
import { placementOf, type TaskPlacement } from './task-placement.js';

/**
 * How many times one call is sent again after landing on a worker that exited before it began.
 * Each time needs another worker to die right as the call reaches it; more means the module
 * kills its threads faster than they can take a task, and the call fails with that exit.
 */
const MAX_RESENDS = 3;

/**
 * What identifies one version of a module: its build's `hash`, `entry`, `exports` and
 * `inputs` (see {@link Artifact}), with an id and a date.
 */
export interface VersionInfo extends Pick<Artifact, 'hash' | 'entry' | 'exports' | 'inputs'> {
  /**
   * The exported functions, as the workers found them once loaded: what can be called.
   * (`exports` lists every export, functions or not.)
   */
  readonly functions: readonly string[];
  /** 1 for the first version, then one more for each upgrade or restart. A rollback brings back the earlier id. */
  readonly id: number;
  /** When this version was built. */
  readonly createdAt: Date;
}

/** What the end of a generation did. */
export interface DrainResult {
  /** Calls the generation had accepted when the drain began and finished normally. */
  readonly drained: number;
  /** Calls still running at `drainTimeout`, whose workers were terminated. */
  readonly killed: number;
  /** Milliseconds from the start of the drain to the last worker gone (after a shift, 20 ms at least: the end waits that long). */
  readonly drainMs: number;
}

export interface GenerationSettings {
  readonly minThreads: number;
  readonly maxThreads: number;
  readonly loadTimeout: number;
  readonly callTimeout: number;
  /** Calls that may wait for a thread beyond the `maxThreads` running; more are refused (see {@link Generation.full}). */
  readonly maxQueue: number;
  readonly resourceLimits: ResourceLimits | undefined;
  /** How an idle worker waits for its next task (the module option `atomics`). */
  readonly atomics: 'auto' | 'async' | 'sync';
  /** Plain calls that wait for a thread travel in batches (the module option `coalesce`, src/coalesce.ts). */
  readonly coalesce: boolean;
  /**
   * Told when a worker of a live generation dies on its own: `process.exit()`, an uncaught
   * exception (from a timer a task left behind, say), or running out of memory; whether or
   * not it was running a call (that call rejects `ERR_HOT_WORKER_EXIT` as well).
   */
  readonly onCrash: (generation: Generation, error: HotError) => void;
  /**
   * Told each time a call goes again to another worker of this generation, because the worker
   * it was sent to died before starting it (src/exit-settle.ts).
   */
  readonly onResend: (generation: Generation) => void;
  /** Told the number of calls of each batch of waiting calls sent as one task (src/coalesce.ts). */
  readonly onCoalesced: (calls: number) => void;
}

export class Generation {
  /** Completed once loaded: `functions`, and a CommonJS module's `exports`, are what the workers found. */
  #version: VersionInfo;
  readonly artifact: Artifact;
  readonly #pool: Piscina;
  /** Which of its calls the pool's workers hold (task-placement.ts): how serve tells a running call from a queued one. */
  readonly #placement: TaskPlacement | undefined;
  readonly #callTimeout: number;
  /** Exported functions, as the workers found them; set once every worker has loaded. */
  #functions: ReadonlySet<string> = new Set();
  /** The exported functions that are generator functions: they answer `stream()`, not `call()`. */
  #generators: ReadonlySet<string> = new Set();
  /** Calls accepted and not yet settled. The pool is only destroyed once this is 0 (or at the drain deadline). */
  #inFlight = 0;
  /** Of those, the spans of work held by {@link hold} (a `map()`): they wait for no thread themselves. */
  #holds = 0;
  /** Calls in flight (holds aside) from which {@link full} is true: `maxThreads` running plus `maxQueue` waiting. */
  readonly #capacity: number;
  /** The pool's `maxThreads`: below as many calls in flight, a thread is free and no call waits. */
  readonly #threads: number;
  /** Resolves the drain's wait; only set while a drain waits. */
  #onIdle: (() => void) | undefined;
  /** Ends a drained pool's wait for `endNotBefore` at once; only set while it waits. */
  #endNow: (() => void) | undefined;
  /** Why the pool was destroyed; set before destroying, so calls cut off get a precise error. */
  #endReason: string | undefined;
  #ending: Promise<void> | undefined;
  /** Calls in flight when the pool was destroyed: a drain cut short by `destroy()` reports them killed, never drained. */
  #cutOff = 0;
  /** True once the load proof passed: from then on a worker's death is a crash worth reporting. */
  #live = false;
  readonly #onCrash: GenerationSettings['onCrash'];
  readonly #onResend: GenerationSettings['onResend'];
  /** The one drain of this generation; every caller of drain() shares it. */
  #draining: Promise<DrainResult> | undefined;
  /** True when the pool was a standby pool handed this version, not booted for it. */
  #fromStandby = false;
  /** Batches the plain calls that wait for a thread; undefined with `coalesce: false`. */
  readonly #coalescer: Coalescer | undefined;
  /** Out-of-memory deaths already reported through a call that failed of one. */
  readonly #oomReported = new WeakSet<object>();

  private constructor(artifact: Artifact, version: VersionInfo, pool: Piscina, settings: GenerationSettings) {
    this.artifact = artifact;
    this.#version = version;
    this.#pool = pool;
    this.#placement = placementOf(pool);
    this.#callTimeout = settings.callTimeout;
    this.#capacity = settings.maxThreads + settings.maxQueue;
    this.#threads = settings.maxThreads;
    this.#onCrash = settings.onCrash;
    this.#onResend = settings.onResend;
    this.#coalescer = settings.coalesce
      ? new Coalescer(pool, settings.maxThreads, (task) => this.#sendNow(task), settings.onCoalesced)
      : undefined;
  }

  /** Reports a worker's death, once the generation is live and until it ends (load failures are the upgrade's to report). */
  #crashed(error: HotError): void {
    if (this.#live && this.#ending === undefined) this.#onCrash(this, error);
  }

  /**
   * Starts a pool on the artifact and resolves once every initial worker has imported the
   * bundle and the pool has answered a task. Rejects `ERR_HOT_LOAD` (the pool destroyed) when
   * a worker throws, exits or is still loading after `loadTimeout`; rejects `signal.reason`
   * when `signal` aborts first. Runs on `standby`'s workers when it is ready, else on a fresh pool.
   */
  static async start(
    artifact: Artifact,
    version: VersionInfo,
    settings: GenerationSettings,
    signal?: AbortSignal,
    standby?: Standby,
  ): Promise<Generation> {
    const source = await bundleSource(artifact);
    // The load timeout counts from here: piscina starts minThreads workers synchronously in its
    // constructor, and that time is part of loading (a huge count must not escape the limit).
    const loadStarted = performance.now();
    const workerData: WorkerData = { bundle: artifact.url, source, commonjs: artifact.commonjs };
    const claimed = standby?.claim(workerData);
    const pool = claimed ?? createPool(settings, workerData);
    const generation = new Generation(artifact, version, pool, settings);
    generation.#fromStandby = claimed !== undefined;
    // Always listen: piscina emits 'error' for a worker that dies while idle, and an unheard
    // 'error' would crash the host process. Deaths by exception or exit are reported by the
    // worker itself (an ExitReport); only running out of memory runs no JavaScript to say so.
    pool.on('error', (error: unknown) => {
      if (isOutOfMemory(error)) generation.#crashed(workerDeath(error, { version: version.id }));
    });
    pool.on('message', (message: unknown) => {
      if (!isExitReport(message)) return;
      // Before piscina rejects the batch the thread was running (coalesce.ts).
      if (message.batch !== undefined) generation.#coalescer?.salvage(message.batch);
      // Report once the thread is gone and piscina has replaced it, so that a call made in
      // reaction to the event never lands on the dying worker.
      const dying = pool.threads.find((worker) => worker.threadId === message.threadId);
      const report = () => generation.#crashed(exitError(message, version.id));
      if (dying === undefined) report();
      else dying.once('exit', report);
    });
    // The probe is sent now, not once the load reports are in: a worker takes it as soon as it
    // is free and answers it only after its import and hotSetup() have settled (dispatch.ts),
    // so the proof is the same, and the upgrade saves a turn of the host's event loop, which
    // under load is the longest wait between loaded and answering. Rejected by the destroy
    // that follows a failed load.
    const probe = pool.run({ fn: PING, args: [] } satisfies CallTask);
    probe.catch(() => undefined);
    try {
      const loaded = await generation.#proveLoaded(settings, loadStarted, signal);
      generation.#functions = loaded.functions;
      generation.#generators = loaded.generators;
      // A version that loaded before (a rollback) is already complete, and keeps its identity.
      if (version.functions.length === 0) {
        generation.#version = Object.freeze({
          ...version,
          exports: artifact.commonjs ? loaded.exports : version.exports,
          functions: [...loaded.functions],
        });
      }
      if (loaded.functions.size === 0) throw noFunctionExported(generation.#version);
      await generation.#proveAnswers(probe, settings.loadTimeout, signal);
    } catch (error) {
      await generation.destroy('load failed');
      throw error;
    }
    generation.#live = true;
    return generation;
  }

  /** What this generation runs: complete once it has loaded. */
  get version(): VersionInfo {
    return this.#version;
  }

  /** True when this version runs on standby workers it was handed, rather than on threads booted for it. */
  get fromStandby(): boolean {
    return this.#fromStandby;
  }

  /** Exported generator functions (sync or async) the workers found: they stream. */
  get generators(): ReadonlySet<string> {
    return this.#generators;
  }

  /** Exported function names the workers found. */
  get functions(): ReadonlySet<string> {
    return this.#functions;
  }

  /** The module's `callTimeout`: a call's limit when it sets none. */
  get callTimeout(): number {
    return this.#callTimeout;
  }

  /** Calls accepted and not yet settled. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /**
   * True while `maxQueue` calls wait for a thread: as many calls in flight as `maxThreads` can
   * run plus `maxQueue` (a `map()` counts by the chunks it has sent). A new call is refused then.
   */
  get full(): boolean {
    return this.#inFlight - this.#holds >= this.#capacity;
  }

  /**
   * Runs a hotworker-internal task (a hook) on the pool, outside the call count: callers never
   * see it. `signal`, when given, ends it (and terminates its worker) at its deadline: only on
   * a pool that lives on (see #proveAnswers for why not on one about to be destroyed).
   */
  runInternal(task: CallTask, signal?: AbortSignal): Promise<unknown> {
    if (this.#ending !== undefined) return Promise.reject(this.#ended(task.fn));
    return signal === undefined ? this.#pool.run(task) : this.#pool.run(task, { signal });
  }

  /** Thread ids of the workers alive in this generation's pool. */
  get threadIds(): number[] {
    return this.#pool.threads.map((worker) => worker.threadId);
  }

  /** Live figures of the pool, for status pages. */
  get stats(): {
    threads: number;
    queued: number;
    completed: number;
    utilization: number;
  } {
    const pool = this.#pool;
    return {
      threads: pool.threads.length,
      // A batch of waiting calls is one task to piscina: its calls not yet begun count each.
      queued: pool.queueSize + (this.#coalescer?.waiting ?? 0),
      completed: pool.completed,
      utilization: pool.utilization,
    };
  }

  /**
   * Runs one exported function in a worker of this generation. The caller has checked the
   * name. Every promise settles: with the function's result, its own error, or a HotError.
   * `reopen` gives fresh `channels` for a re-send (see #track): without it, a call whose
   * channels carry ports is never sent again.
   */
  run(
    fn: string,
    args: readonly unknown[],
    options?: RunCallOptions,
    channels?: TaskChannels,
    reopen?: () => TaskChannels,
  ): Promise<unknown> {
    // The common case, no per-call options and no timeout: nothing allocated beyond the task.
    if (options === undefined && channels === undefined && this.#callTimeout === Number.POSITIVE_INFINITY) {
      // Calls wait only once every thread is busy: before that, one comparison, and the call goes alone.
      if (this.#inFlight - this.#holds < this.#threads || this.#coalescer === undefined || !this.#coalescer.accepts(fn)) {
        return this.#track(fn, args, undefined, undefined, undefined);
      }
      return this.#track(fn, args, undefined, undefined, undefined, undefined, true);
    }
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const transfer = options?.transfer as TransferListItem[] | undefined;
    const transferList = channelTransfers(transfer, channels);
    // The caller's own transferred objects went with the first send: only a call without any can go again.
    const fresh = transfer === undefined || transfer.length === 0 ? reopen : undefined;
    const timeout = options?.timeout ?? this.#callTimeout;
    // A CallSignal (serve's) is the call's own: piscina listens to it directly. The caller's
    // AbortSignal, perhaps shared by many calls, is relayed by a CallLimit (abort-fanout.ts).
    if (timeout === Number.POSITIVE_INFINITY && (signal === undefined || signal instanceof CallSignal)) {
      if (signal !== undefined && this.#placement !== undefined) signal.placedBy(this.#placement, signal);
      return this.#track(fn, args, { signal, transferList }, undefined, channels, fresh);
    }
    const limit = new CallLimit(signal, timeout);
    // So that serve, when its client goes away, can tell a queued call from a running one.
    if (signal instanceof CallSignal && this.#placement !== undefined) signal.placedBy(this.#placement, limit);
    const call = this.#track(fn, args, { signal: limit, transferList }, { limit, ms: timeout, userSignal: signal }, channels, fresh);
    return call.finally(() => limit.dispose());
  }

  #track(
    fn: string,
    args: readonly unknown[],
    options: RunOptions | undefined,
    timeout: CallTimeout | undefined,
    channels: TaskChannels | undefined,
    reopen: (() => TaskChannels) | undefined = undefined,
    batched = false,
  ): Promise<unknown> {
    // An ended pool takes no task: piscina, once destroyed, would start a new worker for it,
    // which nothing would ever end (a late `verify` call, a map() chunk sent after a drain cut).
    if (this.#ending !== undefined) return Promise.reject(this.#ended(fn));
    this.#inFlight++;
    let task: PlainCall | CallTask = channels === undefined ? [fn, ...args] : { fn, args, ...channels };
    let resends = 0;
    const failed = (reason: unknown): Promise<unknown> => {
      // A call of a batch its worker never began (coalesce.ts) is as safe to send again.
      const unbegun = reason instanceof UnbegunCall;
      const error = unbegun ? reason.cause : reason;
      // Sent to a worker that exited before the task reached it (exit-settle.ts): nothing of it
      // ran, so it goes again, to a live worker of this same version. Not with transferred
      // objects: the dead worker took them. The ports of its callbacks or stream, which it took
      // too, are ours to open afresh (`reopen`).
      if (
        (unbegun || neverStarted(error)) &&
        resends < MAX_RESENDS &&
        this.#ending === undefined &&
        (reopen !== undefined || !options?.transferList?.length)
      ) {
        resends++;
        // Not a re-send after a death: a batch that never left this thread goes again call by call.
        if (!unbegun || reason.reachedWorker) this.#onResend(this);
        if (reopen !== undefined) {
          const again = reopen();
          task = { fn, args, ...again };
          options = { signal: options?.signal, transferList: channelTransfers(undefined, again) };
        }
        return this.#send(task, options).then(this.#settled, failed);
      }
      this.#settled(undefined);
      const version = this.version.id;
      // The calls of one batch share their worker's death: it is reported once.
      if (isOutOfMemory(error) && !(unbegun || this.#oomReported.has(error as object))) {
        this.#oomReported.add(error as object);
        this.#crashed(workerDeath(error, { version, fn }));
      }
      throw callError(error, {
        fn,
        args,
        version,
        // Without a timeout, the signal piscina had is the caller's own.
        signal: timeout ? timeout.userSignal : options?.signal,
        timedOutAfterMs: timeout?.limit.expired ? timeout.ms : undefined,
        endReason: this.#endReason,
        transferred: options?.transferList !== undefined,
      });
    };
    const sent = batched ? (this.#coalescer as Coalescer).add(fn, args) : this.#send(task, options);
    return sent.then(this.#settled, failed);
  }

  #send(task: PlainCall | CallTask, options: RunOptions | undefined): Promise<unknown> {
    return options === undefined ? this.#pool.run(task) : this.#pool.run(task, options);
  }

  /** A batch (or a lone call) the coalescer sends at the end of its turn: by then the pool may have ended. */
  #sendNow(task: PlainCall | CallTask): Promise<unknown> {
    if (this.#ending !== undefined) return Promise.reject(this.#ended(Array.isArray(task) ? (task[0] as string) : (task as CallTask).fn));
    return this.#pool.run(task);
  }

  /**
   * Counts work that spans several tasks (a `map()`) as one call in flight until `release()`
   * is called: the drain waits for it, so every task it sends later still finds the pool.
   * `release()` is idempotent.
   */
  hold(): () => void {
    this.#inFlight++;
    this.#holds++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.#holds--;
      this.#settled(undefined);
    };
  }

  /** What a task sent once the pool was ended gets: the same error as a call the end cut. */
  #ended(fn: string): HotError {
    return workerDeath(new Error('the pool had ended before the task was sent'), {
      version: this.version.id,
      fn,
      endReason: this.#endReason,
    });
  }

  /** Counts a call out; wakes a waiting drain at zero. Bound once: the call path allocates no closure for it. */
  readonly #settled = <T>(value: T): T => {
    if (--this.#inFlight === 0) this.#onIdle?.();
    return value;
  };

  /**
   * Ends the generation gracefully: waits until every accepted call has settled (at most
   * `timeoutMs`), then terminates every worker. Calls still running at the deadline reject
   * `ERR_HOT_WORKER_EXIT`. The caller has already stopped routing new calls here. `beforeEnd`
   * runs once the pool is idle, before its workers are terminated (never after a kill). A
   * drained pool's workers are terminated no earlier than `endNotBefore` (a
   * `performance.now()` time; default: at once). Idempotent: later calls share the first drain.
   */
  drain(timeoutMs: number, beforeEnd?: () => Promise<void>, endNotBefore?: number): Promise<DrainResult> {
    this.#draining ??= this.#drain(timeoutMs, beforeEnd, endNotBefore);
    return this.#draining;
  }

  async #drain(timeoutMs: number, beforeEnd: (() => Promise<void>) | undefined, endNotBefore = 0): Promise<DrainResult> {
    const started = performance.now();
    const accepted = this.#inFlight;
    if (accepted > 0 && this.#ending === undefined) {
      let deadline: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.#onIdle = resolve;
        if (Number.isFinite(timeoutMs)) deadline = setTimeout(resolve, timeoutMs);
      });
      clearTimeout(deadline);
      this.#onIdle = undefined;
    }
    // One turn of the event loop before the workers are ended: terminating threads holds the
    // host's thread for a while (milliseconds under load, more the first time that code runs),
    // and right after a shift the first calls to the new version wait in that loop to be sent.
    await new Promise<void>((resolve) => setImmediate(resolve));
    // Destroyed by someone else while waiting (a forced shutdown): the calls it cut settled, so
    // the count fell to zero, but they were killed, not drained.
    const killed = this.#ending === undefined ? this.#inFlight : Math.min(accepted, this.#cutOff);
    // Only an idle pool runs its clean-up (hotDispose): a busy worker would never take it.
    if (beforeEnd !== undefined && killed === 0 && this.#ending === undefined) await beforeEnd();
    const wait = endNotBefore - performance.now();
    if (killed === 0 && this.#ending === undefined && wait > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        this.#endNow = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#endNow = undefined;
    }
    await this.destroy(killed > 0 ? `killed after drainTimeout (${timeoutMs} ms)` : 'drained');
    return {
      drained: accepted - killed,
      killed,
      drainMs: performance.now() - started,
    };
  }

  /** Terminates every worker now. Calls still running reject `ERR_HOT_WORKER_EXIT` with `reason`. Idempotent. */
  destroy(reason: string): Promise<void> {
    if (this.#ending === undefined) {
      this.#endReason = reason;
      this.#cutOff = this.#inFlight;
      this.#ending = endPool(this.#pool);
      // A drain waiting for `endNotBefore` has nothing left to wait for.
      this.#endNow?.();
    }
    return this.#ending;
  }

  #proveLoaded(settings: GenerationSettings, started: number, signal: AbortSignal | undefined): Promise<LoadedFunctions> {
    const pool = this.#pool;
    const { id } = this.version;
    return new Promise((resolve, reject) => {
      const loaded = new Set<number>();
      const exits = new Map<number, (code: number) => void>();
      let functions: LoadedFunctions = { functions: new Set(), generators: new Set(), exports: [] };
      const finish = (error?: unknown) => {
        clearTimeout(timer);
        pool.off('message', onMessage);
        pool.off('workerCreate', onWorkerCreate);
        signal?.removeEventListener('abort', onAbort);
        for (const worker of pool.threads) {
          const onExit = exits.get(worker.threadId);
          if (onExit) worker.off('exit', onExit);
        }
        if (error === undefined) resolve(functions);
        else reject(error);
      };
      const onMessage = (message: unknown) => {
        if (!isLoadReport(message)) return;
        if (!message.ok) {
          const cause = deserializeError(message.error);
          finish(
            new HotError('ERR_HOT_LOAD', `Version ${id} threw while loading ${this.artifact.entry}: ${cause.message}`, {
              cause,
              version: id,
            }),
          );
          return;
        }
        functions = { functions: new Set(message.functions), generators: new Set(message.generators), exports: message.exports };
        loaded.add(message.threadId);
        if (loaded.size >= settings.minThreads) finish();
      };
      const onWorkerCreate = (worker: { id: number }) => {
        const thread = pool.threads.find((candidate) => candidate.threadId === worker.id);
        if (thread === undefined || exits.has(worker.id)) return;
        const onExit = (exitCode: number) => {
          if (loaded.has(worker.id)) return;
          finish(
            new HotError('ERR_HOT_LOAD', `Version ${id} exited with code ${exitCode} while loading ${this.artifact.entry}`, {
              exitCode,
              version: id,
            }),
          );
        };
        exits.set(worker.id, onExit);
        thread.once('exit', onExit);
      };
      const onAbort = () => finish(signal?.reason);
      const onTimeout = () => {
        finish(
          new HotError(
            'ERR_HOT_LOAD',
            `Version ${id} did not finish loading ${this.artifact.entry} within \`loadTimeout\` (${settings.loadTimeout} ms): ${loaded.size} of ${settings.minThreads} workers ready. Look for endless work at the module's top level, or raise \`loadTimeout\`.`,
            { version: id, option: 'loadTimeout' },
          ),
        );
      };
      // Infinity means no limit (a timer would fire at once); a finite limit is <= 2^31-1 (options.ts).
      const timer = Number.isFinite(settings.loadTimeout)
        ? setTimeout(onTimeout, Math.max(0, settings.loadTimeout - (performance.now() - started)))
        : undefined;
      pool.on('message', onMessage);
      pool.on('workerCreate', onWorkerCreate);
      // A standby pool's workers were created before this listener.
      for (const thread of pool.threads) onWorkerCreate({ id: thread.threadId });
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Waits, at most `loadTimeout` from now, for `ping` (one task through the pool's normal path)
   * to be answered, so a version that loads but cannot answer never goes live.
   */
  async #proveAnswers(ping: Promise<unknown>, loadTimeout: number, signal: AbortSignal | undefined): Promise<void> {
    const limit = deadline(signal, loadTimeout);
    // The deadline is not handed to piscina: aborting a running task makes piscina replace its
    // worker, and if the aborted worker's exit comes after destroy() has finished, piscina
    // starts the replacement into the destroyed pool, a thread nobody ends. A ping left
    // running is rejected by the destroy that follows.
    try {
      await new Promise((resolve, reject) => {
        ping.then(resolve, reject);
        limit.signal.addEventListener(
          'abort',
          () => reject(limit.expired ? new Error(`no answer within loadTimeout (${loadTimeout} ms)`) : signal?.reason),
          {
            once: true,
          },
        );
      });
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw new HotError('ERR_HOT_LOAD', `Version ${this.version.id} loaded but did not answer: ${(error as Error)?.message ?? error}`, {
        cause: error,
        version: this.version.id,
      });
    } finally {
      limit.dispose();
    }
  }
}

/**
 * What a task may carry besides its arguments: per-call channels (callbacks, a stream), whose
 * ports are transferred with it, or the chunk of a `map()`.
 */
export type TaskChannels = Pick<CallTask, 'callbacks' | 'stream' | 'map'>;

function channelTransfers(transfer: TransferListItem[] | undefined, channels: TaskChannels | undefined): TransferListItem[] | undefined {
  if (channels === undefined || (channels.callbacks === undefined && channels.stream === undefined)) return transfer;
  const ports: TransferListItem[] = transfer === undefined ? [] : [...transfer];
  if (channels.callbacks !== undefined) ports.push(channels.callbacks.port);
  if (channels.stream !== undefined) ports.push(channels.stream);
  return ports;
}

/** What the workers found in the bundle. */
interface LoadedFunctions {
  readonly functions: ReadonlySet<string>;
  readonly generators: ReadonlySet<string>;
  /** Every export name (for a CommonJS module, the properties of `module.exports`). */
  readonly exports: readonly string[];
}

/** piscina's run options. */
interface RunOptions {
  /** The caller's own signal, or the call's {@link CallLimit} when it has a timeout. */
  signal: SignalLike | undefined;
  transferList: TransferListItem[] | undefined;
}

/** A call's timeout: its deadline, the limit for the message, and the caller's own signal it wraps. */
interface CallTimeout {
  limit: CallLimit;
  ms: number;
  userSignal: SignalLike | undefined;
}

/** A call's options as `Generation.run()` takes them: `signal` may also be a `CallSignal` (call-signal.ts). */
export type RunCallOptions = Omit<CallOptions, 'signal'> & { readonly signal?: SignalLike | undefined };

/** A module with nothing to call is refused at start and at upgrade, not served with every call a 404. */
function noFunctionExported(version: VersionInfo): HotError {
  const exported = version.exports.length > 0 ? `it exports ${version.exports.join(', ')}, none of them a function` : 'it exports nothing';
  return new HotError(
    'ERR_HOT_NO_EXPORT',
    `Version ${version.id} of ${version.entry} has no exported function to call: ${exported}. Export a function (export function f() {}, or module.exports = { f } in CommonJS).`,
    { version: version.id },
  );
}
