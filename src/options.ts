/**
 * Options of modules, hosts, upgrades and calls: their types, defaults and run-time validation.
 * Unknown keys are refused, so a typo never silently falls back to a default.
 */
import { availableParallelism } from 'node:os';
import type { ResourceLimits, TransferListItem } from 'node:worker_threads';
import { type Artifact, isArtifact } from './build.js';
import { HotError } from './errors.js';
import type { UpgradeProgress } from './progress.js';
import {
  type CanaryOptions,
  type ResolvedRollbackOn,
  type RollbackOnOptions,
  resolveCanary,
  resolveRollbackOn,
} from './rollout-options.js';

/**
 * The longest finite timeout any option accepts, in milliseconds (2³¹−1, about 24.8 days):
 * Node's timers cannot wait longer, and fire after 1 ms instead. Pass `Infinity` for no limit.
 */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * How many threads per core (`os.availableParallelism()`) a version may run unless the module
 * sets `maxThreadsLimit`: a typo like `threads: 1e6` would otherwise spawn threads until memory
 * runs out, blocking the event loop while it does.
 */
export const THREADS_PER_CORE_LIMIT = 16;

/** Options of one hot module. Every field is optional; defaults are listed per field. */
export interface ModuleOptions<Api = unknown> {
  /**
   * Worker threads per version: sets both `minThreads` and `maxThreads`.
   * @default Math.max(1, Math.floor(os.availableParallelism() / 2))
   */
  threads?: number;
  /**
   * Workers started (and proven to load) with each version; at least 1.
   * @default threads, or Math.max(1, Math.floor(os.availableParallelism() / 2))
   */
  minThreads?: number;
  /**
   * Most workers a version may run under load.
   * @default threads, or Math.max(minThreads, os.availableParallelism())
   */
  maxThreads?: number;
  /**
   * The most threads `threads`, `minThreads` or `maxThreads` may ask for; larger counts are
   * refused with `ERR_HOT_INVALID_OPTION`. Raise it only for modules that mostly wait.
   * @default THREADS_PER_CORE_LIMIT (16) × os.availableParallelism()
   */
  maxThreadsLimit?: number;
  /**
   * Milliseconds a call may run before its worker is terminated and replaced, and the call
   * rejects `ERR_HOT_CALL_TIMEOUT`. Applies to calls that have not set their own `timeout`.
   * At most {@link MAX_TIMEOUT_MS}, or `Infinity`.
   * @default Infinity (no limit)
   */
  callTimeout?: number;
  /**
   * The most calls that may wait for a thread of a version (beyond the calls its threads are
   * running). A call, stream or `map()` that finds that many waiting is refused at once with
   * `ERR_HOT_QUEUE_FULL` rather than queued: load shedding, so that an overloaded host answers
   * "later" in microseconds instead of holding every call until it times out. The chunks a
   * running `map()` has sent count as waiting calls, but are never refused. `Infinity` queues
   * without bound.
   * @default Infinity
   */
  maxQueue?: number;
  /**
   * Milliseconds every worker of a new version has to import the module. A module still
   * loading then (an endless loop at top level) fails the upgrade with `ERR_HOT_LOAD`. The time
   * counts from the pool's creation, so it covers starting the threads too. Also bounds
   * `verify`. At most {@link MAX_TIMEOUT_MS}, or `Infinity`.
   * @default 10_000
   */
  loadTimeout?: number;
  /**
   * Milliseconds an old version has to finish the calls it accepted before its remaining
   * workers are terminated; those calls reject `ERR_HOT_WORKER_EXIT` and are counted as
   * `killed` in the `upgrade` event. At most {@link MAX_TIMEOUT_MS}, or `Infinity` (wait for ever).
   * @default 30_000
   */
  drainTimeout?: number;
  /**
   * Milliseconds `hotDispose()` has, in every worker of a version that ends, before the
   * workers are terminated anyway; a throw or timeout is reported as the event's `disposeError`.
   * @default 5_000
   */
  disposeTimeout?: number;
  /**
   * Watch each plain upgrade: keep the old version's pool idle until the new one has served
   * `calls` calls (or `withinMs` passed), and shift straight back if its host errors cross
   * `errorRate`. Each `upgrade()` may pass its own.
   * @default undefined (no watch: the old version ends as soon as it drained)
   * @example rollbackOn: { errorRate: 0.05, calls: 200, withinMs: 30_000 }
   */
  rollbackOn?: RollbackOnOptions;
  /**
   * V8 heap limits for every worker (Node's `ResourceLimits`). A worker that exceeds them
   * dies; its calls reject `ERR_HOT_WORKER_EXIT`.
   * @default undefined (Node's defaults)
   */
  resourceLimits?: ResourceLimits;
  /**
   * How many versions `history` keeps (the current one included) for `rollback()`.
   * @default 5
   */
  keepVersions?: number;
  /**
   * Keep a standby set of workers (as many as `minThreads`) booted, dispatcher loaded, never
   * having run user code: an upgrade, restart or rollback hands them the new bundle instead
   * of booting threads, which makes the switch several times faster. A new standby set boots
   * after each shift. Costs the memory of `minThreads` idle threads (see README). `false`
   * boots threads at each upgrade instead.
   * @default true
   */
  standby?: boolean;
  /**
   * How an idle worker waits for its next call (piscina's `atomics`).
   * - `'auto'`: blocked in `Atomics.wait`, piscina's default and the fastest wake (a trivial
   *   call measured a fifth to a quarter less latency than `'async'` when caller and worker
   *   share a CPU; README, "Idle workers"), for as long as nothing is left for the worker's
   *   event loop. From the moment a call or the module's load leaves something that keeps the
   *   loop alive (a ref'd timer or interval, I/O in flight, a socket, a listening port of the
   *   module's own), that worker waits as `'async'` does, for the rest of its life. Work that
   *   keeps no reference (an `unref()`'d timer) left by a worker that still blocks waits for a
   *   later call.
   * - `'async'`: always on its event loop (`Atomics.waitAsync`). Whatever a call left running
   *   goes on while the worker is idle, `unref()`'d or not, and an exception it throws is a
   *   crash event that names no call.
   * - `'sync'`: always blocked in `Atomics.wait`, as in piscina. Its event loop stops while it
   *   is idle: what a call leaves running waits, and runs during a later call, whose time it
   *   takes (a timer that throws then fails that call's thread). For functions that leave
   *   nothing running once they return.
   * Loading, `hotSetup()` and standby workers are the same in every mode: a worker blocks only
   * once its module has loaded.
   * @default 'auto'
   */
  atomics?: 'auto' | 'async' | 'sync';
  /**
   * Send the plain calls that wait for a thread to a worker in batches. When every worker is
   * busy and calls already wait in the queue, plain calls (no per-call options, no callbacks,
   * no stream) of a quick function made in the same turn of the event loop travel as one task,
   * and the worker runs them one after another: many small concurrent calls no longer pay a
   * round trip each (README, "Coalesced calls"). Each call keeps its own result or error. A
   * batch holds about 1 ms of its function's measured time (256 calls at most), and a function
   * slower than that is never batched. `false` sends every call as a task of its own.
   * @default true
   */
  coalesce?: boolean;
  /**
   * Milliseconds after the module opens, and after each shift or failed upgrade, before the
   * next standby set begins to boot: past the busy moment, so that its threads do not compete
   * with the start or the shift. An upgrade that comes first boots it at once. `0` boots it
   * right away. At most {@link MAX_TIMEOUT_MS}.
   * @default 2_000
   */
  standbyDelay?: number;
  /**
   * A smoke check run against each new version before traffic shifts to it. Calls through
   * the `api` it receives run on the new version only. A rejection fails the upgrade with
   * `ERR_HOT_VERIFY` and the old version keeps serving.
   * @default undefined (no check beyond loading and answering)
   * @example verify: async (api) => { if ((await api.fib(10)) !== 55) throw new Error('fib is wrong') }
   */
  verify?: (api: Api) => unknown;
}

/** Options of a {@link HotHost}: shared by its modules. */
export interface HostOptions {
  /**
   * Where bundles are written, relative to the working directory. Safe to delete at any time (a
   * worker writes its bundle back); pruned after each upgrade of what no live host still needs.
   * @default '.hotworker'
   */
  cacheDir?: string;
  /**
   * Defaults for every module this host loads; `load()`'s own options override them.
   * @default {}
   */
  defaults?: Omit<ModuleOptions, 'verify'>;
}

/** Options of one `upgrade()`. */
export interface UpgradeOptions {
  /**
   * Build from this entry instead of the current one; later upgrades build from it too.
   * @default the current entry
   */
  entry?: string | URL;
  /**
   * Upgrade even when the new version lacks exports the current one has.
   * @default false
   */
  allowBreaking?: boolean;
  /**
   * Start a fresh pool even when the bundle is unchanged (clears module state).
   * @default false
   */
  restart?: boolean;
  /**
   * Upgrade to this bundle, already built (by `buildArtifact()`, or by `artifactFromBundle()`
   * from bytes fetched elsewhere, as fleet nodes do), instead of building the entry; it runs
   * byte for byte. Later upgrades without it build from its `entry`.
   * @default undefined (build the entry)
   */
  artifact?: Artifact;
  /**
   * Told as each phase of this upgrade begins (`build`, `load`, `verify`, `shift`, `drain`),
   * for a progress display. A listener that throws is ignored.
   * @default undefined
   */
  onPhase?: (progress: UpgradeProgress) => void;
  /**
   * Shift traffic step by step, checking the new version's errors and latency at each step;
   * `true` takes every default. A failed step rejects `ERR_HOT_CANARY` and the old version
   * keeps serving.
   * @default undefined (all new calls shift at once)
   * @example canary: { steps: [5, 25, 50, 100], minCalls: 200, maxErrorRate: 0.01, maxLatencyRatio: 2 }
   */
  canary?: CanaryOptions | true;
  /**
   * The watch after this plain upgrade (see the module option); `false` turns the module's off.
   * @default the module's rollbackOn
   */
  rollbackOn?: RollbackOnOptions | false;
  /**
   * Cancels the upgrade while traffic has not shifted: it rejects with `signal.reason` and the
   * old version keeps serving, untouched (a build already running finishes first; a load or
   * `verify` under way is cut). Once traffic has begun to shift, the signal no longer applies.
   * @default undefined
   */
  signal?: AbortSignal;
}

/** Options of `rollback()`. */
export interface RollbackOptions {
  /**
   * Cancels the rollback while its version loads, before traffic shifts: it rejects with
   * `signal.reason` and the current version keeps serving. A shift back to the pool kept
   * during a `rollbackOn` watch is immediate and not cancelled.
   * @default undefined
   */
  signal?: AbortSignal;
}

/** Options of one call made with `run()`. */
export interface CallOptions {
  /**
   * Milliseconds this call may run; overrides the module's `callTimeout`. At most
   * {@link MAX_TIMEOUT_MS}, or `Infinity`.
   * @default the module's callTimeout
   */
  timeout?: number;
  /**
   * Cancels the call: a queued call is removed, a running one has its worker terminated and
   * replaced. The call rejects with `signal.reason`.
   */
  signal?: AbortSignal;
  /**
   * Objects to move to the worker instead of copying (e.g. an `ArrayBuffer` in the arguments).
   * After the call starts they are detached in the caller.
   */
  transfer?: readonly TransferListItem[];
}

/** Module options with every default applied. */
export interface ResolvedModuleOptions {
  readonly minThreads: number;
  readonly maxThreads: number;
  readonly callTimeout: number;
  readonly maxQueue: number;
  readonly loadTimeout: number;
  readonly drainTimeout: number;
  readonly disposeTimeout: number;
  readonly rollbackOn: ResolvedRollbackOn | undefined;
  readonly resourceLimits: ResourceLimits | undefined;
  readonly keepVersions: number;
  readonly standby: boolean;
  readonly standbyDelay: number;
  readonly atomics: 'auto' | 'async' | 'sync';
  readonly coalesce: boolean;
  readonly verify: ((api: never) => unknown) | undefined;
}

const moduleKeys = new Set([
  'threads',
  'minThreads',
  'maxThreads',
  'maxThreadsLimit',
  'callTimeout',
  'maxQueue',
  'loadTimeout',
  'drainTimeout',
  'disposeTimeout',
  'rollbackOn',
  'resourceLimits',
  'keepVersions',
  'standby',
  'standbyDelay',
  'atomics',
  'coalesce',
  'verify',
]);

/** Validates module options and applies defaults. Throws `ERR_HOT_INVALID_OPTION`. */
export function resolveModuleOptions(options: ModuleOptions<never> = {}): ResolvedModuleOptions {
  assertObject(options, 'options');
  assertKnownKeys(options, moduleKeys, 'module option');
  const { threads, minThreads, maxThreads } = options;
  const cores = availableParallelism();
  if (options.maxThreadsLimit !== undefined) assertInteger(options.maxThreadsLimit, 'maxThreadsLimit', 1);
  const limit = options.maxThreadsLimit ?? THREADS_PER_CORE_LIMIT * cores;
  const why =
    options.maxThreadsLimit === undefined
      ? `${THREADS_PER_CORE_LIMIT} × ${cores} cores; raise it with \`maxThreadsLimit\``
      : '`maxThreadsLimit`';
  const assertThreads = (value: unknown, name: string) => {
    assertInteger(value, name, 1);
    if ((value as number) > limit) throw invalid(`Expected \`${name}\` to be an integer <= ${limit} (${why}), got ${got(value)}`);
  };
  if (threads !== undefined) {
    assertThreads(threads, 'threads');
    if (minThreads !== undefined || maxThreads !== undefined) {
      throw invalid('Pass either `threads` or `minThreads`/`maxThreads`, not both');
    }
  }
  if (minThreads !== undefined) assertThreads(minThreads, 'minThreads');
  if (maxThreads !== undefined) assertThreads(maxThreads, 'maxThreads');
  const min = threads ?? minThreads ?? Math.min(maxThreads ?? Number.POSITIVE_INFINITY, Math.max(1, Math.floor(cores / 2)));
  const max = threads ?? maxThreads ?? Math.min(limit, Math.max(min, cores));
  if (max < min) throw invalid(`Expected \`maxThreads\` (${max}) to be >= \`minThreads\` (${min})`);
  const callTimeout = options.callTimeout ?? Number.POSITIVE_INFINITY;
  assertTimeout(callTimeout, 'callTimeout');
  const maxQueue = options.maxQueue ?? Number.POSITIVE_INFINITY;
  if (maxQueue !== Number.POSITIVE_INFINITY && (typeof maxQueue !== 'number' || !Number.isInteger(maxQueue) || maxQueue < 0)) {
    throw invalid(`Expected \`maxQueue\` to be an integer >= 0 or Infinity, got ${got(maxQueue)}`);
  }
  const loadTimeout = options.loadTimeout ?? 10_000;
  assertTimeout(loadTimeout, 'loadTimeout');
  const drainTimeout = options.drainTimeout ?? 30_000;
  assertTimeout(drainTimeout, 'drainTimeout');
  const disposeTimeout = options.disposeTimeout ?? 5_000;
  assertTimeout(disposeTimeout, 'disposeTimeout');
  const keepVersions = options.keepVersions ?? 5;
  assertInteger(keepVersions, 'keepVersions', 1);
  const standby = options.standby ?? true;
  if (typeof standby !== 'boolean') throw invalid(`Expected \`standby\` to be a boolean, got ${got(standby)}`);
  const standbyDelay = options.standbyDelay ?? 2_000;
  assertInteger(standbyDelay, 'standbyDelay', 0);
  if (standbyDelay > MAX_TIMEOUT_MS) {
    throw invalid(`Expected \`standbyDelay\` to be at most ${MAX_TIMEOUT_MS} ms, got ${got(standbyDelay)}`);
  }
  const atomics = options.atomics ?? 'auto';
  if (atomics !== 'auto' && atomics !== 'async' && atomics !== 'sync') {
    throw invalid(`Expected \`atomics\` to be 'auto', 'async' or 'sync', got ${got(atomics)}`);
  }
  const coalesce = options.coalesce ?? true;
  if (typeof coalesce !== 'boolean') throw invalid(`Expected \`coalesce\` to be a boolean, got ${got(coalesce)}`);
  if (options.resourceLimits !== undefined) assertResourceLimits(options.resourceLimits);
  if (options.verify !== undefined && typeof options.verify !== 'function') {
    throw invalid(`Expected \`verify\` to be a function, got ${got(options.verify)}`);
  }
  return {
    minThreads: min,
    maxThreads: max,
    callTimeout,
    maxQueue,
    loadTimeout,
    drainTimeout,
    disposeTimeout,
    rollbackOn: options.rollbackOn === undefined ? undefined : resolveRollbackOn(options.rollbackOn),
    resourceLimits: options.resourceLimits,
    keepVersions,
    standby,
    standbyDelay,
    atomics,
    coalesce,
    verify: options.verify,
  };
}

/** Validates upgrade options. Throws `ERR_HOT_INVALID_OPTION`. */
export function validateUpgradeOptions(options: UpgradeOptions): void {
  assertObject(options, 'options');
  assertKnownKeys(
    options,
    new Set(['entry', 'allowBreaking', 'restart', 'onPhase', 'canary', 'rollbackOn', 'artifact', 'signal']),
    'upgrade option',
  );
  assertSignal(options.signal);
  if (options.artifact !== undefined && !isArtifact(options.artifact)) {
    throw invalid(`Expected \`artifact\` to be an artifact from buildArtifact() or artifactFromBundle(), got ${got(options.artifact)}`);
  }
  if (options.onPhase !== undefined && typeof options.onPhase !== 'function') {
    throw invalid(`Expected \`onPhase\` to be a function, got ${got(options.onPhase)}`);
  }
  if (options.canary !== undefined) resolveCanary(options.canary);
  if (options.rollbackOn !== undefined && options.rollbackOn !== false) resolveRollbackOn(options.rollbackOn);
  if (options.canary !== undefined && options.rollbackOn !== undefined && options.rollbackOn !== false) {
    throw invalid('Pass either `canary` or `rollbackOn` to one upgrade, not both: a canary checks the new version at every step');
  }
  if (options.entry !== undefined && typeof options.entry !== 'string' && !(options.entry instanceof URL)) {
    throw invalid(`Expected \`entry\` to be a path or a file URL, got ${got(options.entry)}`);
  }
  for (const key of ['allowBreaking', 'restart'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'boolean') {
      throw invalid(`Expected \`${key}\` to be a boolean, got ${got(options[key])}`);
    }
  }
}

/** Validates `rollback()`'s options. Throws `ERR_HOT_INVALID_OPTION`. */
export function validateRollbackOptions(options: RollbackOptions): void {
  assertObject(options, 'options');
  assertKnownKeys(options, new Set(['signal']), 'rollback option');
  assertSignal(options.signal);
}

function assertSignal(signal: unknown): void {
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw invalid(`Expected \`signal\` to be an AbortSignal, got ${got(signal)}`);
  }
}

/** Validates per-call options. Throws `ERR_HOT_INVALID_OPTION`. */
export function validateCallOptions(options: CallOptions): void {
  assertObject(options, 'options');
  assertKnownKeys(options, new Set(['timeout', 'signal', 'transfer']), 'call option');
  if (options.timeout !== undefined) assertTimeout(options.timeout, 'timeout');
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw invalid(`Expected \`signal\` to be an AbortSignal, got ${got(options.signal)}`);
  }
  if (options.transfer !== undefined && !Array.isArray(options.transfer)) {
    throw invalid(`Expected \`transfer\` to be an array, got ${got(options.transfer)}`);
  }
}

/** Validates host options. Throws `ERR_HOT_INVALID_OPTION`. */
export function validateHostOptions(options: HostOptions): void {
  assertObject(options, 'options');
  assertKnownKeys(options, new Set(['cacheDir', 'defaults']), 'host option');
  if (options.cacheDir !== undefined && (typeof options.cacheDir !== 'string' || options.cacheDir === '')) {
    throw invalid(`Expected \`cacheDir\` to be a non-empty string, got ${got(options.cacheDir)}`);
  }
  if (options.defaults !== undefined) {
    assertObject(options.defaults, 'defaults');
    if ('verify' in options.defaults) throw invalid('`verify` is per module: pass it to `load()`, not in `defaults`');
  }
}

export function got(value: unknown): string {
  if (typeof value === 'string') return `\`${value}\` (string)`;
  if (typeof value === 'object') return value === null ? '`null`' : `\`${Object.prototype.toString.call(value).slice(8, -1)}\` (object)`;
  return `\`${String(value)}\` (${typeof value})`;
}

export function invalid(message: string): HotError {
  return new HotError('ERR_HOT_INVALID_OPTION', message);
}

export function assertObject(value: unknown, name: string): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(`Expected \`${name}\` to be an object, got ${got(value)}`);
  }
}

export function assertKnownKeys(value: object, known: ReadonlySet<string>, what: string): void {
  for (const key of Object.keys(value)) {
    if (!known.has(key)) {
      throw invalid(`Unknown ${what} \`${key}\`; expected one of ${[...known].map((k) => `\`${k}\``).join(', ')}`);
    }
  }
}

export function assertInteger(value: unknown, name: string, min: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw invalid(`Expected \`${name}\` to be an integer >= ${min}, got ${got(value)}`);
  }
}

const resourceLimitKeys = new Set(['maxOldGenerationSizeMb', 'maxYoungGenerationSizeMb', 'codeRangeSizeMb', 'stackSizeMb']);

/**
 * The smallest `resourceLimits.stackSizeMb` taken. On Node 20 a worker given 0.2 MB or less
 * overflows its stack while Node itself starts, and that aborts the whole process (no error
 * to catch); 0.25 MB loaded and ran the dispatcher. The floor keeps twice that.
 */
export const MIN_STACK_SIZE_MB = 0.5;

function assertResourceLimits(limits: unknown): void {
  assertObject(limits, 'resourceLimits');
  assertKnownKeys(limits as object, resourceLimitKeys, 'resourceLimits key');
  for (const [key, value] of Object.entries(limits as Record<string, unknown>)) {
    if (value !== undefined && (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value))) {
      throw invalid(`Expected \`resourceLimits.${key}\` to be a finite number > 0, got ${got(value)}`);
    }
    if (key === 'stackSizeMb' && (value as number) < MIN_STACK_SIZE_MB) {
      throw invalid(
        `Expected \`resourceLimits.stackSizeMb\` to be at least ${MIN_STACK_SIZE_MB}, got ${got(value)}: a smaller stack aborts the whole process while the worker starts`,
      );
    }
  }
}

/**
 * Validates the arguments of `run()` or `runStream()` (`method`, default `'run'`): an array, as
 * `fn.apply` takes them. Throws `ERR_HOT_INVALID_OPTION`.
 */
export function validateArgs(args: unknown, fn: string, method = 'run'): void {
  if (!Array.isArray(args)) {
    throw invalid(`Expected the arguments of ${fn}() to be an array (${method}('${fn}', [a, b])), got ${got(args)}`);
  }
}

/**
 * Validates a timeout in milliseconds: a number > 0 and at most {@link MAX_TIMEOUT_MS}, or
 * `Infinity`. Throws `ERR_HOT_INVALID_OPTION` naming the option and the limit. Every timeout
 * option goes through here (the CLI's too); `standbyDelay`, a delay that may be 0 and is never
 * `Infinity`, has its own check in {@link resolveModuleOptions}.
 */
export function assertTimeout(value: unknown, name: string): asserts value is number {
  const ok = typeof value === 'number' && value > 0 && (value <= MAX_TIMEOUT_MS || value === Number.POSITIVE_INFINITY);
  if (!ok) {
    throw invalid(
      `Expected \`${name}\` to be a number > 0 and <= ${MAX_TIMEOUT_MS} (2^31-1 ms, Node's longest timer), or Infinity, got ${got(value)}`,
    );
  }
}
