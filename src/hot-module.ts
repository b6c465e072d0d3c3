/**
 * `HotModule`: one upgradeable module. Holds the current generation, routes calls to it, and
 * runs the upgrade and rollback procedures one at a time.
 */
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import {
  type ArgOf,
  type ArgsOf,
  createApi,
  type FunctionName,
  type GeneratorName,
  type HotApi,
  type ResultOf,
  type UntypedModule,
  type YieldOf,
} from './api.js';
import { type Artifact, buildArtifact, isArtifact, resolveEntry } from './build.js';
import { CacheLease } from './cache.js';
import type { CallSignal } from './call-signal.js';
import { openCallbacks, runWithCallbacks } from './callbacks.js';
import { describeFailure, type FailReason, type RolloutFigures, type Watch } from './canary.js';
import { deadline } from './deadline.js';
import { HotError } from './errors.js';
import { callError, generatorCalled } from './faults.js';
import { type DrainResult, Generation, type GenerationSettings, type RunCallOptions, type VersionInfo } from './generation.js';
import { dispose, handOver } from './hooks.js';
import { type MapInputs, type MapOptions, runMap, validateMap } from './map.js';
import {
  type CallOptions,
  type ResolvedModuleOptions,
  type RollbackOptions,
  type UpgradeOptions,
  validateArgs,
  validateCallOptions,
  validateRollbackOptions,
  validateUpgradeOptions,
} from './options.js';
import { phaseReporter } from './progress.js';
import { isHook } from './protocol.js';
import { type ResolvedRollbackOn, resolveCanary, resolveRollbackOn } from './rollout-options.js';
import { type RolloutStatus, Router } from './routing.js';
import { Standby } from './standby.js';
import { failedStream, notAGenerator, WorkerStream } from './stream.js';

/** How long an upgrade waits for a booting standby set before it boots a fresh pool instead. */
const STANDBY_WAIT_MS = 3_000;
/**
 * The earliest a version that stopped taking calls at a shift (an upgrade, rollback, or a
 * canary or watch sending calls back) has its threads terminated, from the shift. Ending
 * threads costs CPU for milliseconds; right after a shift the new version's first calls need
 * it. Measured with `hotworker serve` at 16 connections (bench scenario 7's load), 20 upgrades
 * each way: the first answer from the new version came a median of 19.3 ms after the upgrade
 * request with the end deferred, 23.4 ms without.
 * @internal
 */
export const END_AFTER_SHIFT_MS = 20;

/** Emitted after traffic shifted to a new version and the old one has drained and ended. */
export interface UpgradeEvent extends DrainResult {
  /** The version that served before. */
  readonly from: VersionInfo;
  /** The version now serving. */
  readonly to: VersionInfo;
  /** Milliseconds from `upgrade()` (or `rollback()`) being called to the shift of traffic. */
  readonly switchMs: number;
  /** True when the new version was handed to standby workers; false when threads were booted for it. */
  readonly standby: boolean;
  /** Set when the ended version's `hotDispose()` threw or outlived `disposeTimeout` (`ERR_HOT_DISPOSE`). */
  readonly disposeError?: HotError;
}

/** Emitted by `rollback()`, or by the watch after a plain upgrade shifting back on its own. */
export interface RollbackEvent extends UpgradeEvent {
  /** `'manual'`: `rollback()` was called. `'auto'`: the new version crossed `rollbackOn.errorRate`. */
  readonly reason: 'manual' | 'auto';
  /** The watched version's figures, when a watch was running. */
  readonly figures?: RolloutFigures;
}

/** Emitted after each step of a canary upgrade. */
export interface CanaryEvent {
  /** The version serving the rest of the calls. */
  readonly from: VersionInfo;
  /** The version on trial. */
  readonly to: VersionInfo;
  /** 1-based index of the step in `steps`. */
  readonly step: number;
  readonly steps: readonly number[];
  /** Percentage of new calls `to` took at this step. */
  readonly share: number;
  readonly passed: boolean;
  /** Why the step failed; absent when it passed. */
  readonly reason?: FailReason;
  readonly figures: RolloutFigures;
}

/**
 * Emitted when a worker of a serving version dies on its own: `process.exit()`, an uncaught
 * exception (e.g. thrown later by a timer a call left behind, while the worker is idle), or
 * running out of memory. The pool replaces the worker; a call it was running rejects
 * `ERR_HOT_WORKER_EXIT` as well. Workers the host ends itself (timeouts, aborts, drains) are
 * not crashes.
 */
export interface CrashEvent {
  /** The version whose worker died; the pool has replaced it. */
  readonly version: VersionInfo;
  /** `ERR_HOT_WORKER_EXIT`, with the worker's own error as `cause`. */
  readonly error: HotError;
}

/** The events of a {@link HotModule}, with their listener arguments. */
export interface HotModuleEvents {
  /** A new version serves and the old one is gone: `{ from, to, switchMs, drainMs, drained, killed }`. */
  upgrade: [event: UpgradeEvent];
  /** An earlier version serves again: `rollback()` (`reason: 'manual'`) or the watch after an upgrade (`'auto'`). */
  rollback: [event: RollbackEvent];
  /** A canary step passed or failed, with its figures. */
  canary: [event: CanaryEvent];
  /** A worker died on its own (exit, uncaught exception, out of memory); the pool replaced it. */
  crash: [event: CrashEvent];
  /** `close()` (or `destroy()`) finished: no worker of the module is left. */
  close: [];
}

/** A version kept for rollback: what it was and the bundle it ran. */
interface KeptVersion {
  readonly version: VersionInfo;
  readonly artifact: Artifact;
}

/** @internal Everything a module needs from whoever opens it. */
export interface ModuleContext {
  readonly cacheDir: string;
  readonly options: ResolvedModuleOptions;
  readonly onClosed?: (module: HotModule<never>) => void;
}

/**
 * One module served from a worker pool, upgradeable while it serves. Create it with
 * `hot()` or `HotHost.load()`.
 *
 * @typeParam M - the module's type, `typeof import('./module.ts')`, which types `api` and `call`.
 */
export class HotModule<M = UntypedModule> extends EventEmitter<HotModuleEvents> {
  readonly #context: ModuleContext;
  /** The entry the next upgrade builds from (absolute path). */
  #entry: string;
  /** Takes every new call. Never points at an ended pool while the module is open. */
  #current: Generation;
  /** Generations with workers alive: the current one and any still draining. */
  readonly #alive = new Set<Generation>();
  /** Versions that served, oldest first, the current one last; at most `keepVersions`. */
  readonly #history: KeptVersion[] = [];
  #nextId: number;
  /** The tail of the upgrade/rollback chain: each waits for the one before. */
  #queue: Promise<unknown> = Promise.resolve();
  /** Aborted by close(): stops an upgrade that has not shifted yet. */
  readonly #closing = new AbortController();
  #closed: Promise<void> | undefined;
  readonly #api: HotApi<M>;
  /** The bundles this module still needs (history and every generation alive), leased against pruning. */
  readonly #lease: CacheLease;
  /** Workers booted for the next upgrade; never a pool already handed a version. Undefined with `standby: false` or once closed. */
  #standby: Standby | undefined;
  /** Set while a refill waits for the `standbyDelay` option; cleared when it boots or the module closes. */
  #standbyTimer: NodeJS.Timeout | undefined;
  /** Which generation takes each new call while a canary or watch runs; plain otherwise. */
  readonly #router = new Router();
  /** The generation the last call was routed to (see routedVersion). */
  #routed: Generation;
  /** The watch after a plain upgrade with `rollbackOn`: ends the kept version or shifts back to it. */
  #watching: { watch: Watch; done: Promise<void> } | undefined;
  /** Crashes and re-sent calls, counted by every generation's settings. */
  readonly #tally: Tally;

  /** @internal Use `hot()` or `HotHost.load()`. */
  constructor(context: ModuleContext, first: Generation, tally: Tally) {
    super();
    this.#context = context;
    this.#tally = tally;
    this.#entry = first.artifact.entry;
    this.#current = first;
    this.#routed = first;
    this.#alive.add(first);
    this.#history.push({ version: first.version, artifact: first.artifact });
    this.#lease = new CacheLease(context.cacheDir);
    this.#nextId = first.version.id + 1;
    this.#api = createApi<M>(
      (name, args) => this.#run(name, args, undefined),
      (name) => this.#current.functions.has(name),
    );
  }

  /** @internal Builds and starts the first version. */
  static async open<M>(entry: string | URL | Artifact, context: ModuleContext): Promise<HotModule<M>> {
    const artifact = isArtifact(entry) ? entry : await buildArtifact(resolveEntry(entry), context.cacheDir);
    const version = versionOf(artifact, 1);
    // A crash before the module exists has no listener to tell; the load proof reports it.
    let module: HotModule<M> | undefined;
    const tally: Tally = { crashes: 0, resentCalls: 0, coalescedCalls: 0 };
    const first = await Generation.start(
      artifact,
      version,
      generationSettings(context, tally, (event) => module?.emit('crash', event)),
    );
    try {
      await verify(first, context.options, undefined);
    } catch (error) {
      await first.destroy('verify failed');
      throw error;
    }
    module = new HotModule<M>(context, first, tally);
    await module.#holdBundles();
    module.#refillStandby();
    return module;
  }

  /**
   * Every exported function, typed: `await math.api.fib(30)`. Each call runs in a worker of
   * the version current when the call starts. Not thenable.
   */
  get api(): HotApi<M> {
    return this.#api;
  }

  /** The version serving new calls. */
  get version(): VersionInfo {
    return this.#current.version;
  }

  /**
   * The version the last call started on this module was routed to. Read it in the same tick
   * as starting a call to learn which version runs it: during a canary, either version may.
   */
  get routedVersion(): VersionInfo {
    return this.#routed.version;
  }

  /** The versions kept for rollback, oldest first; the last is the current one. */
  get history(): VersionInfo[] {
    return this.#history.map((kept) => kept.version);
  }

  /** The entry the next `upgrade()` builds from. */
  get entry(): string {
    return this.#entry;
  }

  /** True once `close()` or `destroy()` has been called. */
  get closed(): boolean {
    return this.#closing.signal.aborted;
  }

  /** The canary or post-upgrade watch in progress, with its figures so far; undefined when none runs. */
  get rollout(): RolloutStatus | undefined {
    return this.#router.status;
  }

  /**
   * Live figures: calls in flight per version alive, threads and queue of the current pool,
   * and the standby workers (booted for the next upgrade, not serving). Two counts run from
   * the moment the module opened, across every version: `crashes`, the workers that died on
   * their own while their version served (each also a `'crash'` event), and `resentCalls`,
   * how many times a call was sent again to another worker of its version because the worker
   * it was sent to died before beginning it (at most 3 times per call: a call that never ran
   * is not failed for a death; a stream's or callbacks' channel is opened afresh for it; one
   * that carried `transfer` is never sent again). A third, `coalescedCalls`, counts the calls
   * that travelled to a worker in a batch with others, because they waited for a thread
   * together (the module option `coalesce`).
   */
  get stats(): {
    current: Generation['stats'];
    inFlight: number;
    alive: { version: VersionInfo; inFlight: number; threadIds: number[] }[];
    standby: { ready: boolean; threadIds: number[] };
    rollout: RolloutStatus | undefined;
    crashes: number;
    resentCalls: number;
    coalescedCalls: number;
  } {
    const alive = [...this.#alive].map((generation) => ({
      version: generation.version,
      inFlight: generation.inFlight,
      threadIds: generation.threadIds,
    }));
    const current = this.#current;
    return {
      // Read when asked for: piscina summarises its run-time histogram for `utilization`, which
      // callers after the other fields (metrics, the log line of an upgrade) never need.
      get current() {
        return current.stats;
      },
      inFlight: alive.reduce((sum, g) => sum + g.inFlight, 0),
      alive,
      standby: { ready: this.#standby?.ready ?? false, threadIds: this.#standby?.threadIds ?? [] },
      rollout: this.#router.status,
      crashes: this.#tally.crashes,
      resentCalls: this.#tally.resentCalls,
      coalescedCalls: this.#tally.coalescedCalls,
    };
  }

  /** Calls an exported function by name: `math.call('fib', 30)`. */
  call<K extends FunctionName<M>>(name: K, ...args: ArgsOf<M, K>): Promise<ResultOf<M, K>> {
    return this.#run(name, args, undefined) as Promise<ResultOf<M, K>>;
  }

  /**
   * Calls an exported function with per-call options: a `timeout`, an `AbortSignal`, or
   * objects to `transfer` rather than copy.
   * @example await math.run('fib', [30], { timeout: 1_000, signal: AbortSignal.timeout(5_000) })
   */
  run<K extends FunctionName<M>>(name: K, args: ArgsOf<M, K>, options: CallOptions = {}): Promise<ResultOf<M, K>> {
    try {
      validateArgs(args, String(name));
      validateCallOptions(options);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#run(name, args, options) as Promise<ResultOf<M, K>>;
  }

  /**
   * @internal `run()` as `hotworker serve` makes its calls: the arguments are an array it parsed
   * from JSON, and `signal` is a {@link CallSignal}, which costs a call less than an `AbortSignal`.
   */
  runWithCallSignal(name: string, args: unknown[], signal: CallSignal): Promise<unknown> {
    return this.#run(name, args, { signal });
  }

  /**
   * Calls `name(input)` for every input and resolves with the results in input order. Inputs
   * travel to the workers in chunks (see {@link MapOptions.chunkSize}) and every worker takes
   * chunks, so many small inputs cost about what one call per chunk costs. The whole map runs
   * on the version current when it starts (pinned, like a call) and counts as one call in
   * flight there: an upgrade's drain waits for it.
   *
   * Rejects with the first input's own error, or `ERR_HOT_CLONE` naming `inputs[i]` (an input
   * that cannot be sent) or `results[i]` (a result that cannot come back); with
   * `settle: true`, resolves with one `PromiseSettledResult` per input instead. An array or
   * other iterable is read whole when the map starts (a generator must end); an async iterable
   * is read as chunks are sent, at most a few chunks per thread ahead of the workers.
   * @example const squares = await math.map('square', [1, 2, 3]) // [1, 4, 9]
   */
  map<K extends FunctionName<M>>(
    name: K,
    inputs: MapInputs<ArgOf<M, K>>,
    options?: MapOptions & { settle?: false },
  ): Promise<ResultOf<M, K>[]>;
  map<K extends FunctionName<M>>(
    name: K,
    inputs: MapInputs<ArgOf<M, K>>,
    options: MapOptions & { settle: true },
  ): Promise<PromiseSettledResult<ResultOf<M, K>>[]>;
  map<K extends FunctionName<M>>(
    name: K,
    inputs: MapInputs<ArgOf<M, K>>,
    options?: MapOptions,
  ): Promise<ResultOf<M, K>[] | PromiseSettledResult<ResultOf<M, K>>[]>;
  map(name: string, inputs: MapInputs<unknown>, options: MapOptions = {}): Promise<unknown[]> {
    try {
      validateMap(String(name), inputs, options);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#closing.signal.aborted) {
      return Promise.reject(
        new HotError('ERR_HOT_CLOSED', `Cannot map ${String(name)}(): the module ${this.#entry} is closed`, { fn: String(name) }),
      );
    }
    // Pinned: every chunk runs on the generation routed to now.
    const generation = this.#router.pick(this.#current);
    this.#routed = generation;
    if (typeof name !== 'string' || !generation.functions.has(name)) return Promise.reject(noExport(name, generation));
    if (generation.generators.has(name)) return Promise.reject(generatorCalled(name, generation.version.id));
    if (generation.full) return Promise.reject(queueFull(name, generation, this.#context.options.maxQueue));
    const mapped = runMap(generation, name, inputs, options, this.#context.options.maxThreads);
    return this.#router.observe(generation, mapped) as Promise<unknown[]>;
  }

  /**
   * Reads an exported generator function (`function*` or `async function*`) as it yields:
   * `for await (const row of csv.stream('parse', file)) { … }`. The stream is a call: it runs
   * on the version current now, counts as in flight until the generator is done, and an
   * upgrade's drain waits for it. At most a few values are sent ahead of the consumer; `break`
   * (or `return()`) stops the generator in the worker, where its `finally` runs. The
   * generator's throw rejects `next()`. A failure to start (closed, not an export, not a
   * generator: `ERR_HOT_CALL_KIND`) rejects the first `next()`.
   */
  stream<K extends GeneratorName<M>>(name: K, ...args: ArgsOf<M, K>): AsyncIterableIterator<YieldOf<M, K>> {
    return this.#stream(name, args, undefined) as AsyncIterableIterator<YieldOf<M, K>>;
  }

  /**
   * `stream()` with per-call options: a `timeout` for the whole stream (its worker is then
   * terminated and `next()` rejects `ERR_HOT_CALL_TIMEOUT`), an `AbortSignal`, or objects to
   * `transfer`.
   * @example for await (const n of m.runStream('count', [10], { signal: AbortSignal.timeout(5_000) })) console.log(n)
   */
  runStream<K extends GeneratorName<M>>(name: K, args: ArgsOf<M, K>, options: CallOptions = {}): AsyncIterableIterator<YieldOf<M, K>> {
    try {
      validateArgs(args, String(name), 'runStream');
      validateCallOptions(options);
    } catch (error) {
      return failedStream(error);
    }
    return this.#stream(name, args, options) as AsyncIterableIterator<YieldOf<M, K>>;
  }

  /** True when the version serving new calls exports `name` as a generator function: it answers `stream()`, not `call()`. */
  isGenerator(name: string): boolean {
    return this.#current.generators.has(name);
  }

  #stream(name: string, args: readonly unknown[], options: CallOptions | undefined): AsyncIterableIterator<unknown> {
    if (this.#closing.signal.aborted) {
      return failedStream(
        new HotError('ERR_HOT_CLOSED', `Cannot stream ${String(name)}(): the module ${this.#entry} is closed`, { fn: String(name) }),
      );
    }
    // Pinned like a call: the whole stream runs on the generation routed to now (during a canary,
    // either one; a stream's outcome is not part of the step's figures).
    const generation = this.#router.pick(this.#current);
    this.#routed = generation;
    if (typeof name !== 'string' || !generation.functions.has(name)) return failedStream(noExport(name, generation));
    if (!generation.generators.has(name)) return failedStream(notAGenerator(name, generation.version.id));
    if (generation.full) return failedStream(queueFull(name, generation, this.#context.options.maxQueue));
    let callbacks: ReturnType<typeof openCallbacks>;
    try {
      callbacks = openCallbacks(args);
    } catch (error) {
      return failedStream(unreadArgument(error, name, args, generation));
    }
    return new WorkerStream(name, generation.version.id, (port, reopenStream) =>
      callbacks === undefined
        ? generation.run(name, args, options, { stream: port }, () => ({ stream: reopenStream() }))
        : runWithCallbacks(callbacks, (callArgs, spec, reopen) =>
            generation.run(name, callArgs, options, { stream: port, callbacks: spec }, () => ({
              stream: reopenStream(),
              callbacks: reopen(),
            })),
          ),
    );
  }

  #run(name: string, args: readonly unknown[], options: RunCallOptions | undefined): Promise<unknown> {
    if (this.#closing.signal.aborted) {
      return Promise.reject(
        new HotError('ERR_HOT_CLOSED', `Cannot call ${String(name)}(): the module ${this.#entry} is closed`, { fn: String(name) }),
      );
    }
    // Pin the call to the generation current now: it runs wholly on it, whatever shifts later.
    const generation = this.#router.pick(this.#current);
    this.#routed = generation;
    if (typeof name !== 'string' || !generation.functions.has(name)) {
      return Promise.reject(noExport(name, generation));
    }
    if (generation.full) return Promise.reject(queueFull(name, generation, this.#context.options.maxQueue));
    let callbacks: ReturnType<typeof openCallbacks>;
    try {
      callbacks = openCallbacks(args);
    } catch (error) {
      return Promise.reject(unreadArgument(error, name, args, generation));
    }
    if (callbacks !== undefined) {
      return this.#router.observe(
        generation,
        runWithCallbacks(callbacks, (callArgs, spec, reopen) =>
          generation.run(name, callArgs, options, { callbacks: spec }, () => ({ callbacks: reopen() })),
        ),
      );
    }
    return this.#router.observe(generation, generation.run(name, args, options));
  }

  /**
   * Rebuilds the entry and, if it changed, shifts traffic to the new version: build, check
   * exports, load, verify, shift, drain the old version, end it. Resolves with the version
   * serving afterwards, once no worker of the old version is left. Upgrades run one at a
   * time; one called during another waits and builds the entry as it is then.
   *
   * Rejects `ERR_HOT_BUILD`, `ERR_HOT_INCOMPATIBLE`, `ERR_HOT_LOAD`, `ERR_HOT_VERIFY` (the old
   * version keeps serving, untouched), `ERR_HOT_CLOSED`, or the `signal`'s reason.
   */
  upgrade(options: UpgradeOptions = {}): Promise<VersionInfo> {
    try {
      validateUpgradeOptions(options);
      options.signal?.throwIfAborted();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#serialize(() => this.#upgrade(options));
  }

  /**
   * Shifts traffic back to the version that served before the current one, on a fresh pool
   * of its kept bundle (no rebuild), then ends the current version. The current version
   * leaves `history`. Rejects `ERR_HOT_NO_PREVIOUS` when there is none, or the `signal`'s
   * reason when it aborts before the shift.
   */
  rollback(options: RollbackOptions = {}): Promise<VersionInfo> {
    try {
      validateRollbackOptions(options);
      options.signal?.throwIfAborted();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#serialize(() => this.#rollback(options.signal));
  }

  /**
   * Stops taking calls (they reject `ERR_HOT_CLOSED`), stops an upgrade that has not shifted
   * yet, lets every accepted call finish (up to `drainTimeout`), then terminates every
   * worker. Safe to call more than once; every call returns the same promise.
   */
  close(): Promise<void> {
    this.#closed ??= this.#end((generation) => this.#retire(generation));
    return this.#closed;
  }

  /**
   * Terminates every worker now. Calls still running reject `ERR_HOT_WORKER_EXIT`. Safe to
   * call more than once, and after `close()` (it then cuts the drain short).
   */
  destroy(): Promise<void> {
    const destroying = this.#end((generation) => generation.destroy('the module was destroyed'));
    this.#closed ??= destroying;
    return destroying.then(() => this.#closed);
  }

  /** `await using math = await hot(...)` closes the module at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #end(end: (generation: Generation) => Promise<unknown>): Promise<void> {
    const first = !this.#closing.signal.aborted;
    this.#closing.abort(new HotError('ERR_HOT_CLOSED', `The module ${this.#entry} was closed during the upgrade`));
    // End what is alive now; an upgrade in progress stops before its shift and ends its own pool.
    // Ends an upgrade's wait for standby threads, too.
    clearTimeout(this.#standbyTimer);
    this.#standbyTimer = undefined;
    const standby = this.#standby?.destroy();
    this.#watching?.watch.end(false);
    await Promise.all([...this.#alive].map(end));
    await standby;
    await this.#queue;
    await Promise.all([...this.#alive].map(end));
    this.#alive.clear();
    await this.#lease.release();
    this.#standby = undefined;
    if (first) {
      this.#context.onClosed?.(this as HotModule<never>);
      this.emit('close');
    }
  }

  /**
   * Walks a canary: both versions serve, `next` a growing share of new calls. A failed step (or
   * close()) sends every new call back to the current version and ends `next`; a failed step
   * rejects `ERR_HOT_CANARY`. Returns once every step passed; the caller shifts.
   */
  async #canary(next: Generation, options: NonNullable<UpgradeOptions['canary']>): Promise<void> {
    const limits = resolveCanary(options);
    const stable = this.#current;
    this.#alive.add(next);
    let at = '';
    // Closed mid-canary, this rejects ERR_HOT_CLOSED: close() ends every generation alive, `next` included.
    const verdict = await this.#router.canary(stable, next, limits.steps, limits, this.#closing.signal, (step, share, result) => {
      at = `step ${step} (${share}%)`;
      this.emit('canary', { from: stable.version, to: next.version, step, steps: limits.steps, share, ...result });
    });
    if (verdict.passed) return;
    await this.#retire(next, performance.now() + END_AFTER_SHIFT_MS);
    this.#alive.delete(next);
    this.#refillStandby();
    throw new HotError(
      'ERR_HOT_CANARY',
      `Canary of version ${next.version.id} failed at ${at}: ${describeFailure(verdict.reason ?? 'errorRate', verdict.figures, limits)}. Every new call went back to version ${stable.version.id}, which keeps serving.`,
      { version: next.version.id, figures: verdict.figures },
    );
  }

  /**
   * Shifts to `next` but keeps the previous version's pool, idle, while the watch runs; the
   * watch then ends the kept pool, or shifts back to it at once (no pool start).
   */
  #shiftWatched(next: Generation, limits: ResolvedRollbackOn, started: number): VersionInfo {
    const previous = this.#current;
    this.#current = next;
    this.#alive.add(next);
    const switchMs = performance.now() - started;
    this.#refillStandby();
    const watch = this.#router.watch(previous, next, limits);
    const done = watch.verdict.then(async (verdict) => {
      if (verdict.rollback && !this.closed) {
        const shiftedAt = performance.now();
        this.#current = previous;
        this.#history.pop();
        // With keepVersions: 1 the upgrade pushed the version now restored out of history.
        if (this.#history.at(-1)?.version.id !== previous.version.id) {
          this.#history.push({ version: previous.version, artifact: previous.artifact });
        }
        this.#entry = previous.artifact.entry;
        const drain = await this.#retire(next, shiftedAt + END_AFTER_SHIFT_MS);
        this.#alive.delete(next);
        this.#watching = undefined;
        await this.#pruneCache();
        const reason = verdict.reason ?? 'auto';
        this.emit('rollback', {
          from: next.version,
          to: previous.version,
          switchMs: performance.now() - shiftedAt,
          // Back to the kept pool: no thread was booted or handed anything.
          standby: false,
          ...drain,
          reason,
          figures: verdict.figures,
        });
        return;
      }
      const drain = await this.#retire(previous);
      this.#alive.delete(previous);
      this.#watching = undefined;
      await this.#pruneCache();
      if (!this.closed) this.emit('upgrade', { from: previous.version, to: next.version, switchMs, standby: next.fromStandby, ...drain });
    });
    this.#watching = { watch, done };
    return next.version;
  }

  /** Ends a running watch now, shifting back when `rollback`, and waits until the ending version is gone. */
  async #endWatch(rollback: boolean): Promise<void> {
    const watching = this.#watching;
    if (watching === undefined) return;
    watching.watch.end(rollback);
    await watching.done;
  }

  /**
   * Drains a generation no longer taking calls, runs its `hotDispose()`, and ends it: no earlier
   * than `endNotBefore` (a `performance.now()` time; after a shift, {@link END_AFTER_SHIFT_MS} from it).
   */
  async #retire(generation: Generation, endNotBefore?: number): Promise<DrainResult & { disposeError?: HotError }> {
    let disposeError: HotError | undefined;
    const drain = await generation.drain(
      this.#context.options.drainTimeout,
      async () => {
        disposeError = await dispose(generation, this.#context.options.disposeTimeout);
      },
      endNotBefore,
    );
    return disposeError === undefined ? drain : { ...drain, disposeError };
  }

  /** What left history and has drained is no longer needed here: let the cache drop it. */
  async #pruneCache(): Promise<void> {
    // Once closing, the lease is released (or about to be): never write it again.
    if (this.closed) return;
    await this.#holdBundles();
    await this.#lease.prune();
  }

  /** Leases every bundle in history or alive (and `extra`, an upgrade's new build); the rest may be pruned. */
  #holdBundles(extra?: Artifact): Promise<void> {
    const files = new Set(this.#history.map((kept) => kept.artifact.file));
    for (const generation of this.#alive) files.add(generation.artifact.file);
    if (extra !== undefined) files.add(extra.file);
    return this.#lease.hold(files);
  }

  #serialize(step: () => Promise<VersionInfo>): Promise<VersionInfo> {
    const result = this.#queue.then(step);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  /** Throws where an upgrade or rollback stops: the module closed (`ERR_HOT_CLOSED`), or `cancel` aborted (its reason). */
  #assertGoing(action: string, cancel: AbortSignal | undefined): void {
    this.#assertOpen(action);
    cancel?.throwIfAborted();
  }

  #assertOpen(action: string): void {
    if (this.#closing.signal.aborted) {
      throw new HotError('ERR_HOT_CLOSED', `Cannot ${action}: the module ${this.#entry} is closed`);
    }
  }

  async #upgrade(options: UpgradeOptions): Promise<VersionInfo> {
    const cancel = options.signal;
    // Closed or cancelled while it waited for its turn: nothing was started.
    this.#assertGoing('upgrade', cancel);
    await this.#endWatch(false);
    const started = performance.now();
    const phase = phaseReporter(options.onPhase, started, () => performance.now());
    phase('build');
    const given = options.artifact;
    const entry = given?.entry ?? (options.entry === undefined ? this.#entry : resolveEntry(options.entry));
    const artifact = given ?? (await buildArtifact(entry, this.#context.cacheDir));
    this.#assertGoing('upgrade', cancel);
    // The lease on the new bundle (a file written and renamed) is written while the new version
    // loads and shifts, not before: under load each file operation waits for a turn of the busy
    // event loop, and the workers need only the bundle (one pruned meanwhile is written back from
    // its bytes, workers/bundle.ts). It never rejects (cache.ts), and this process's own prune
    // reads the names held in memory, queued behind this write: #shift's prune waits for it.
    const held = this.#holdBundles(artifact);
    const current = this.#current.version;
    if (artifact.hash === current.hash && options.restart !== true) {
      await held;
      this.#entry = entry;
      return current;
    }
    const draft = versionOf(artifact, this.#nextId);
    // A CommonJS module's names are known only once it has loaded: checked after the start.
    if (!artifact.commonjs) assertCompatible(current, draft, options);
    phase('load', { version: draft.id, threads: this.#context.options.minThreads });
    const next = await this.#start(artifact, draft, true, () => phase('verify', { version: draft.id }), cancel);
    if (artifact.commonjs) {
      try {
        assertCompatible(current, next.version, options);
      } catch (error) {
        await next.destroy('the upgrade failed');
        throw error;
      }
    }
    // Cancelled in the last moment of the load: it ends like a version that failed to load.
    if (cancel?.aborted) {
      await next.destroy('the upgrade was cancelled');
      this.#refillStandby();
      throw cancel.reason;
    }
    this.#nextId++;
    if (options.canary !== undefined) await this.#canary(next, options.canary);
    this.#entry = entry;
    this.#history.push({ version: next.version, artifact });
    if (this.#history.length > this.#context.options.keepVersions) this.#history.shift();
    const watch = watchOf(options, this.#context.options);
    if (watch !== undefined) {
      // The old version is kept (not drained) while the watch runs: the shift is the last phase.
      phase('shift', { version: next.version.id });
      return this.#shiftWatched(next, watch, started);
    }
    return this.#shift(next, 'upgrade', started, phase);
  }

  async #rollback(cancel: AbortSignal | undefined): Promise<VersionInfo> {
    this.#assertGoing('roll back', cancel);
    // During the watch after an upgrade, the earlier version's pool is still there: shift back to it.
    if (this.#watching !== undefined) {
      await this.#endWatch(true);
      return this.#current.version;
    }
    const started = performance.now();
    const previous = this.#history.at(-2);
    if (previous === undefined) {
      throw new HotError(
        'ERR_HOT_NO_PREVIOUS',
        `Cannot roll back ${this.#entry}: no earlier version is kept (keepVersions: ${this.#context.options.keepVersions})`,
      );
    }
    const next = await this.#start(previous.artifact, previous.version, false, undefined, cancel);
    this.#history.pop();
    this.#entry = previous.artifact.entry;
    return this.#shift(next, 'rollback', started);
  }

  /**
   * Starts a generation and proves it (load, answer, and `verify` when asked); the old one is
   * untouched on failure. `close()`, or `cancel` when given, cuts the load and `verify` short.
   */
  async #start(
    artifact: Artifact,
    version: VersionInfo,
    runVerify: boolean,
    onVerify?: () => void,
    cancel?: AbortSignal,
  ): Promise<Generation> {
    const signal = cancel === undefined ? this.#closing.signal : eitherSignal(this.#closing.signal, cancel);
    // An upgrade before the delayed refill fired boots the standby set now: no slower than a fresh pool.
    if (this.#standbyTimer !== undefined) this.#bootStandby();
    const standby = this.#standby;
    // A standby set still booting has a head start on any fresh pool, and booting both at once
    // would slow both: wait for it, within a bound, before falling back to a fresh pool.
    if (standby !== undefined && !standby.ready) await standby.whenReady(Math.min(STANDBY_WAIT_MS, this.#context.options.loadTimeout));
    this.#assertGoing('upgrade', cancel);
    let next: Generation;
    try {
      next = await Generation.start(
        artifact,
        version,
        generationSettings(this.#context, this.#tally, (event) => this.emit('crash', event)),
        signal,
        standby,
      );
    } catch (error) {
      this.#standbyUsed(standby, true);
      throw error;
    }
    this.#standbyUsed(standby, false);
    try {
      // State is carried before verify, so that verify sees the version as it will serve.
      await handOver(this.#current, next, this.#context.options.loadTimeout, signal);
      if (runVerify && this.#context.options.verify !== undefined) {
        onVerify?.();
        await verify(next, this.#context.options, signal);
      }
      this.#assertGoing('upgrade', cancel);
    } catch (error) {
      await next.destroy('the upgrade failed');
      this.#refillStandby();
      throw error;
    }
    return next;
  }

  /** Forgets a standby pool once handed to a version (its generation owns it now); refills at once when `refill`. */
  #standbyUsed(standby: Standby | undefined, refill: boolean): void {
    if (standby?.claimed && standby === this.#standby) this.#standby = undefined;
    if (refill) this.#refillStandby();
  }

  /**
   * Boots a new standby set, `standbyDelay` from now, when standby is on, the module open,
   * and none is booting, ready or scheduled. The delay keeps its boot off the busy moments
   * right after a start or a shift (a replacement worker booting right after a start competed
   * with it and missed short timeouts).
   */
  #refillStandby(): void {
    if (!this.#context.options.standby || this.#closing.signal.aborted || this.#standby !== undefined) return;
    if (this.#standbyTimer !== undefined) return;
    this.#standbyTimer = setTimeout(() => this.#bootStandby(), this.#context.options.standbyDelay);
    // A pending refill never keeps the process alive.
    this.#standbyTimer.unref();
  }

  #bootStandby(): void {
    clearTimeout(this.#standbyTimer);
    this.#standbyTimer = undefined;
    if (this.#closing.signal.aborted || this.#standby !== undefined) return;
    this.#standby = new Standby(this.#context.options);
  }

  async #shift(
    next: Generation,
    kind: 'upgrade' | 'rollback',
    started: number,
    phase: ReturnType<typeof phaseReporter> = () => {},
  ): Promise<VersionInfo> {
    const previous = this.#current;
    phase('shift', { version: next.version.id });
    this.#current = next;
    this.#alive.add(next);
    const shiftedAt = performance.now();
    const switchMs = shiftedAt - started;
    phase('drain', { version: next.version.id, inFlight: previous.inFlight });
    // Off the critical path: the switch is done; the next upgrade finds these threads booted.
    this.#refillStandby();
    const drain = await this.#retire(previous, shiftedAt + END_AFTER_SHIFT_MS);
    this.#alive.delete(previous);
    await this.#pruneCache();
    const event = { from: previous.version, to: next.version, switchMs, standby: next.fromStandby, ...drain };
    if (kind === 'upgrade') this.emit('upgrade', event);
    else this.emit('rollback', { ...event, reason: 'manual' });
    this.#assertOpen(kind === 'upgrade' ? 'upgrade' : 'roll back');
    return next.version;
  }
}

/** Refuses (`ERR_HOT_INCOMPATIBLE`) a new version that drops exports the current one has, unless `allowBreaking`. */
function assertCompatible(current: VersionInfo, next: VersionInfo, options: UpgradeOptions): void {
  const missing = current.exports.filter((name) => !next.exports.includes(name));
  if (missing.length > 0 && options.allowBreaking !== true) {
    throw new HotError(
      'ERR_HOT_INCOMPATIBLE',
      `The new version of ${next.entry} no longer exports ${missing.join(', ')}; callers of version ${current.id} may still use them. Pass \`allowBreaking: true\` to upgrade anyway.`,
      { missing, version: current.id, option: 'allowBreaking' },
    );
  }
}

/** The watch a plain upgrade runs: its own `rollbackOn`, else the module's; none for a canary. */
function watchOf(options: UpgradeOptions, module: ResolvedModuleOptions): ResolvedRollbackOn | undefined {
  if (options.canary !== undefined || options.rollbackOn === false) return undefined;
  return options.rollbackOn === undefined ? module.rollbackOn : resolveRollbackOn(options.rollbackOn);
}

/** A version before it has loaded: `functions` (and a CommonJS module's `exports`) are filled in by the generation. */
function versionOf(artifact: Artifact, id: number): VersionInfo {
  return Object.freeze({
    id,
    hash: artifact.hash,
    entry: artifact.entry,
    // Hooks are never callable, and adding or dropping one is not a breaking change.
    exports: artifact.exports.filter((name) => !isHook(name)),
    inputs: artifact.inputs,
    functions: [],
    createdAt: new Date(),
  });
}

/** What a module has counted since it opened, across its versions (see {@link HotModule.stats}). */
interface Tally {
  crashes: number;
  resentCalls: number;
  coalescedCalls: number;
}

function generationSettings(context: ModuleContext, tally: Tally, onCrash: (event: CrashEvent) => void): GenerationSettings {
  const { minThreads, maxThreads, loadTimeout, callTimeout, maxQueue, resourceLimits, atomics, coalesce } = context.options;
  return {
    minThreads,
    maxThreads,
    loadTimeout,
    callTimeout,
    maxQueue,
    resourceLimits,
    atomics,
    coalesce,
    onCrash: (generation, error) => {
      tally.crashes++;
      onCrash({ version: generation.version, error });
    },
    onResend: () => {
      tally.resentCalls++;
    },
    onCoalesced: (calls) => {
      tally.coalescedCalls += calls;
    },
  };
}

/** A signal that aborts when either does, with that one's reason (`AbortSignal.any` from Node 20.3). */
function eitherSignal(a: AbortSignal, b: AbortSignal): AbortSignal {
  if (typeof AbortSignal.any === 'function') return AbortSignal.any([a, b]);
  const both = new AbortController();
  for (const signal of [a, b]) {
    if (signal.aborted) both.abort(signal.reason);
    else signal.addEventListener('abort', () => both.abort(signal.reason), { once: true, signal: both.signal });
  }
  return both.signal;
}

/** Reading the arguments threw (a getter, a Proxy trap): say which one, as a failed send would. */
function unreadArgument(error: unknown, fn: string, args: readonly unknown[], generation: Generation): unknown {
  return callError(error, {
    fn,
    args,
    version: generation.version.id,
    signal: undefined,
    timedOutAfterMs: undefined,
    endReason: undefined,
    unread: true,
  });
}

/** Runs the module's `verify(api)` against a generation not yet serving, within `loadTimeout`. */
async function verify(generation: Generation, options: ResolvedModuleOptions, signal: AbortSignal | undefined): Promise<void> {
  if (options.verify === undefined) return;
  const api = createApi<UntypedModule>(
    (name, args) => (generation.functions.has(name) ? generation.run(name, args) : Promise.reject(noExport(name, generation))),
    (name) => generation.functions.has(name),
  );
  const { id } = generation.version;
  const limit = deadline(signal, options.loadTimeout);
  try {
    await new Promise<void>((resolve, reject) => {
      limit.signal.addEventListener(
        'abort',
        () =>
          reject(
            limit.expired
              ? new HotError(
                  'ERR_HOT_VERIFY',
                  `verify() of version ${id} did not settle within \`loadTimeout\` (${options.loadTimeout} ms)`,
                  {
                    version: id,
                    option: 'loadTimeout',
                  },
                )
              : signal?.reason,
          ),
        { once: true },
      );
      Promise.resolve()
        .then(() => (options.verify as (api: unknown) => unknown)(api))
        .then(
          () => resolve(),
          (error: unknown) =>
            reject(
              new HotError('ERR_HOT_VERIFY', `verify() rejected version ${id}: ${(error as Error)?.message ?? String(error)}`, {
                cause: error,
                version: id,
              }),
            ),
        );
    });
  } finally {
    limit.dispose();
  }
}

/** A call refused because `maxQueue` calls already wait for a thread of its version. */
function queueFull(name: string, generation: Generation, maxQueue: number): HotError {
  const { id } = generation.version;
  return new HotError(
    'ERR_HOT_QUEUE_FULL',
    `${name}() was refused: ${maxQueue} calls already wait for a thread of version ${id} (\`maxQueue\`). Retry later, or raise \`maxQueue\` or the number of threads.`,
    { fn: name, version: id, option: 'maxQueue' },
  );
}

function noExport(name: unknown, generation: Generation): HotError {
  const label = typeof name === 'string' ? name : String(name);
  const known = [...generation.functions].join(', ') || 'none';
  return new HotError(
    'ERR_HOT_NO_EXPORT',
    `${label} is not an exported function of ${generation.artifact.entry} (version ${generation.version.id}); exported functions: ${known}`,
    { fn: label, version: generation.version.id },
  );
}
