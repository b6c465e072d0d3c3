/**
 * The message shapes shared by the main thread and `workers/dispatch.ts`.
 * Nothing here may import main-thread code: the worker imports this file too.
 */
import type { MessagePort } from 'node:worker_threads';
import type { CallbackSpec } from './channels.js';

/** What the host passes to every worker of one generation, as piscina's `workerData`. */
export interface WorkerData {
  /** File URL of the content-hashed bundle the worker imports. */
  readonly bundle: string;
  /**
   * The bundle's bytes: a worker whose bundle file has gone (the cache directory deleted while
   * serving) writes it back from these before importing (see `workers/bundle.ts`).
   */
  readonly source?: SharedArrayBuffer | undefined;
  /**
   * The bundle was built from a CommonJS entry: its namespace is `{ default: module.exports }`,
   * and the worker serves the properties of `module.exports` by name (workers/commonjs.ts).
   */
  readonly commonjs?: boolean;
  /** Set for `atomics: 'auto'`: the worker watches its idle wait (workers/idle-turn.ts). */
  readonly idleTurn?: boolean;
}

/** One call: the exported function's name and its arguments. */
export interface CallTask {
  readonly fn: string;
  readonly args: readonly unknown[];
  /** Set when the arguments held functions (see `channels.ts`). */
  readonly callbacks?: CallbackSpec;
  /** Set for a stream: the port its values and controls travel on (see `channels.ts`). */
  readonly stream?: MessagePort;
  /** Set for a chunk of `map()`: `args` holds the chunk's inputs, each one call's only argument. */
  readonly map?: MapChunk;
  /** Set for calls that waited together for a thread (src/coalesce.ts): `args` holds each call's own arguments. */
  readonly batch?: CallBatch;
}

/**
 * A plain call, the common case (no callbacks, stream or chunk): `[fn, ...args]`. A flat array
 * is the cheapest task for structured clone: on a trivial call through raw piscina (one run, a
 * 2-core VM), a `{ fn, args }` object added about 7 % to the latency of sending the bare value,
 * a flat array about 3 %. Every other task is a {@link CallTask} object.
 */
export type PlainCall = readonly [fn: string, ...args: unknown[]];

/** How a worker runs one chunk of a `map()` (see `map.ts`). */
export interface MapChunk {
  /** Index of the chunk's first input among all the map's inputs: error paths name `results[i]` by it. */
  readonly offset: number;
  /** True: run every input and report each failure ({@link SettledChunk}); false: stop at the first and throw it. */
  readonly settle: boolean;
  /**
   * One Int32 over a SharedArrayBuffer, shared by every chunk of the map: non-zero once the map
   * was aborted or has failed, and a worker then skips the inputs it has not started.
   */
  readonly stop: Int32Array;
}

/** What a chunk of a settling `map()` returns: the results by index in the chunk, and the failures. */
export interface SettledChunk {
  readonly values: unknown[];
  /** [index in the chunk, why], or undefined when every input succeeded. */
  readonly failures: [number, Fault][] | undefined;
}

/** How a worker runs a batch of calls to one function, sent together while every worker was busy (src/coalesce.ts). */
export interface CallBatch {
  /** Names the batch in the worker's exit report, should its thread die while running it. */
  readonly id: number;
  /**
   * One Int32 over a SharedArrayBuffer of the batch's own: how many of its calls the worker has
   * begun, stored before each begins. The host reads it when the thread dies, which runs no
   * JavaScript when it runs out of memory: the calls after it are sent again, never run twice.
   */
  readonly begun: Int32Array;
}

/** What a worker returns for a batch: each call's result, or why it failed, by index in the batch. */
export interface BatchOutcome {
  /** Always {@link BATCH_OUTCOME}: tells a batch's answer apart from a call's result (workers/guard-response.ts). */
  readonly kind: typeof BATCH_OUTCOME;
  readonly values: unknown[];
  /** [index in the batch, why], or undefined when every call succeeded. */
  readonly failures: [number, Fault][] | undefined;
  /** Milliseconds the worker spent on the batch's calls, from the first one's start to the last one's end. */
  readonly ms: number;
}

export const BATCH_OUTCOME = 'hotworker:batch';

export function isBatchOutcome(value: unknown): value is BatchOutcome {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as BatchOutcome).kind === BATCH_OUTCOME &&
    Array.isArray((value as BatchOutcome).values)
  );
}

/** What a batch cut short by its thread's death had done: the answers of its first `finished` calls. */
export interface BatchSalvage {
  readonly id: number;
  readonly finished: number;
  readonly values: unknown[];
  readonly failures: [number, Fault][] | undefined;
}

/** What a worker returns for a chunk it stopped early because the map's stop flag was set; the host ignores it. */
export const MAP_STOPPED = 0;

/** The name of the internal task that proves a freshly loaded pool answers. Never a valid export name. */
export const PING = '\0hotworker:ping';

/**
 * Optional exports the host runs at a version's start, hand-over and end. Never callable: left
 * out of a version's functions and `exports`, and out of the exported-interface check.
 */
export const HOOKS = ['hotSetup', 'hotExport', 'hotImport', 'hotDispose'] as const;
export type HookName = (typeof HOOKS)[number];

export function isHook(name: string): name is HookName {
  return (HOOKS as readonly string[]).includes(name);
}

/** Task names that run a hook; like {@link PING}, never valid export names. */
export const HOOK_TASK = {
  export: '\0hotworker:hotExport',
  import: '\0hotworker:hotImport',
  dispose: '\0hotworker:hotDispose',
} as const;

/**
 * Arguments of a hook task that must run once in every worker of a pool. Each task first waits
 * on the barrier until `workers` tasks have arrived, so no worker can take two of them.
 * `barrier` is an Int32Array's SharedArrayBuffer, counting arrivals in slot 0.
 */
export interface EveryWorker {
  readonly barrier: SharedArrayBuffer;
  readonly workers: number;
}

/** Sent once by each worker on `parentPort` when its import of the bundle settles. */
export type LoadReport =
  | {
      readonly type: typeof LOAD_REPORT;
      readonly threadId: number;
      readonly ok: true;
      readonly functions: string[];
      /** Every export name, functions or not (hooks left out): what a CommonJS module's version lists. */
      readonly exports: string[];
      /** The subset of `functions` that are generator functions (sync or async): they stream. */
      readonly generators: string[];
    }
  | {
      readonly type: typeof LOAD_REPORT;
      readonly threadId: number;
      readonly ok: false;
      readonly error: SerializedError;
    };

export const LOAD_REPORT = 'hotworker:load';

/** True when `message` is an object whose `type` is `type`: how the host tells the workers' messages apart. */
export function hasType(message: unknown, type: string): boolean {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type;
}

export function isLoadReport(message: unknown): message is LoadReport {
  return hasType(message, LOAD_REPORT);
}

/**
 * Sent by each worker on `parentPort` as its dispatcher loads, so before piscina's own ready
 * message (same port, same order): piscina hands the worker no task before the host has it.
 * `tasksBegun` is shared memory where the worker counts, in slot 0, the tasks piscina has
 * handed its dispatcher, before anything of them runs. The host reads it when the thread dies
 * (exit-settle.ts): no message could tell it then, piscina acts on the death first.
 */
export interface TaskCountReport {
  readonly type: typeof TASK_COUNT_REPORT;
  readonly threadId: number;
  readonly tasksBegun: Int32Array;
}

export const TASK_COUNT_REPORT = 'hotworker:task-count';

export function isTaskCountReport(message: unknown): message is TaskCountReport {
  return hasType(message, TASK_COUNT_REPORT);
}

/**
 * Sent by a worker with `atomics: 'auto'` that could not find piscina's task listener and wait
 * (workers/idle-turn.ts): it waits as `'sync'` does. The host warns once (src/pool.ts).
 */
export interface IdleUnwatchedReport {
  readonly type: typeof IDLE_UNWATCHED;
  readonly threadId: number;
}

export const IDLE_UNWATCHED = 'hotworker:idle-unwatched';

export function isIdleUnwatchedReport(message: unknown): message is IdleUnwatchedReport {
  return hasType(message, IDLE_UNWATCHED);
}

/**
 * The key of piscina's own "worker ready" message (`READY` in piscina's `dist/common.js`, not
 * exported): a worker's dispatcher sends it as soon as it has loaded, before its module (see
 * workers/dispatch.ts). Pinned by test/load-worker-exits.test.ts.
 */
export const PISCINA_READY = '_WORKER_READY';

/**
 * Sent by a worker from its `process.on('exit')`: the thread is ending on its own
 * (`process.exit()`, or an uncaught exception, kept in `error`). A worker the host
 * terminates sends nothing: `terminate()` runs no JavaScript.
 */
export interface ExitReport {
  readonly type: typeof EXIT_REPORT;
  readonly threadId: number;
  readonly code: number;
  readonly error: SerializedError | undefined;
  /** The batch the thread was running, if any: the answers of the calls it finished. */
  readonly batch?: BatchSalvage | undefined;
}

export const EXIT_REPORT = 'hotworker:exit';

export function isExitReport(message: unknown): message is ExitReport {
  return hasType(message, EXIT_REPORT);
}

/**
 * A failure a worker reports in place of a result. Thrown from the dispatcher (so piscina
 * rejects the task with it) as a plain, cloneable object.
 * - `user`: the function threw; `error` keeps its name, message, stack and own properties.
 * - `clone`: the result cannot be structured-cloned; `path` names the offending value, `cause`
 *   what the clone (or a getter on the way) threw, when known.
 * - `load`: the bundle failed to load in this worker (a replacement worker, after the version went live).
 * - `no-export`: the name is not an exported function of the bundle.
 * - `generator`: a generator function was called as a plain function (it only streams).
 */
export type Fault =
  | { readonly [FAULT]: 'user' | 'load'; readonly error: SerializedError }
  | { readonly [FAULT]: 'clone'; readonly path: string; readonly what: string; readonly cause?: SerializedError }
  | { readonly [FAULT]: 'no-export' | 'generator' };

export const FAULT = 'hotworker:fault';

export function isFault(value: unknown): value is Fault {
  return typeof value === 'object' && value !== null && FAULT in value;
}

/** An error reduced to cloneable data, so that nothing of it is lost crossing threads. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack: string | undefined;
  /** Own enumerable properties (e.g. `code`), those that can be cloned. */
  readonly props: Record<string, unknown>;
  readonly cause?: SerializedError | { readonly value: unknown };
}

/**
 * Never throws, whatever was thrown: a getter that throws (on the error or inside a value
 * of it) loses only that property, and an unreadable error becomes a description.
 */
export function serializeError(error: unknown, depth = 0): SerializedError {
  try {
    return serializeReadable(error, depth);
  } catch (failure) {
    return { name: 'Error', message: `A thrown value could not be read: ${messageOf(failure)}`, stack: undefined, props: {} };
  }
}

function serializeReadable(error: unknown, depth: number): SerializedError {
  if (!(error instanceof Error)) {
    return {
      name: 'Error',
      message: `Non-error value thrown: ${describe(error)}`,
      stack: undefined,
      props: isCloneable(error, 'value') ? { value: error } : {},
    };
  }
  const props: Record<string, unknown> = {};
  for (const key of Object.keys(error)) {
    if (key === 'cause') continue;
    try {
      const value = (error as unknown as Record<string, unknown>)[key];
      if (isCloneable(value, key)) props[key] = value;
    } catch {
      // A getter that throws: the property is left out; the error itself still reaches the caller.
    }
  }
  const serialized: {
    -readonly [K in keyof SerializedError]: SerializedError[K];
  } = {
    name: String(error.name),
    message: String(error.message),
    stack: typeof error.stack === 'string' ? error.stack : undefined,
    props,
  };
  if ('cause' in error && error.cause !== undefined && depth < 8) {
    serialized.cause =
      error.cause instanceof Error
        ? serializeError(error.cause, depth + 1)
        : isCloneable(error.cause, 'cause')
          ? { value: error.cause }
          : { value: describe(error.cause) };
  }
  return serialized;
}

/** What the walk can tell, and no more: a walk that throws (a getter) means not cloneable. */
function isCloneable(value: unknown, path: string): boolean {
  try {
    return findUncloneable(value, path) === undefined;
  } catch {
    return false;
  }
}

function messageOf(error: unknown): string {
  try {
    return error instanceof Error ? error.message : String(error);
  } catch {
    return 'an unreadable value';
  }
}

const builtinErrors: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

/** Rebuilds an error from {@link serializeError}: same class where built in, name, message, stack and props. */
export function deserializeError(data: SerializedError): Error {
  const Ctor = builtinErrors[data.name] ?? Error;
  const error = new Ctor(data.message);
  if (error.name !== data.name) {
    Object.defineProperty(error, 'name', {
      value: data.name,
      writable: true,
      configurable: true,
    });
  }
  if (data.stack !== undefined) error.stack = data.stack;
  Object.assign(error, data.props);
  if (data.cause !== undefined) {
    const cause = 'message' in data.cause ? deserializeError(data.cause) : data.cause.value;
    Object.defineProperty(error, 'cause', {
      value: cause,
      writable: true,
      configurable: true,
    });
  }
  return error;
}

/** Where a value that cannot be cloned sits, and what it is. */
export interface Uncloneable {
  /** e.g. `args[0].onDone` */
  readonly path: string;
  /** e.g. `function onDone` */
  readonly what: string;
}

/**
 * The deepest nesting a value may have to cross threads. A worker (4 MB of stack) can post a
 * result nested a few thousand levels deep that the main thread then fails to read: Node
 * drops such a message ('messageerror') and the call would never settle. Measured on Node 20:
 * the main thread reads ~1,950 levels of objects, ~3,300 of arrays; this keeps a margin.
 */
export const MAX_NESTING = 1000;

/**
 * Finds the first value under `value` that structured clone rejects (functions, symbols,
 * promises, weak collections) and returns where it is, e.g. `result.items[2].onDone`.
 * Returns `undefined` when the value looks cloneable. Cheap for primitives and binary data,
 * linear in the size of plain objects and arrays. Values nested more than {@link MAX_NESTING}
 * levels deep are reported too. A quick check, not a proof: host objects and Proxies pass it
 * (the clone itself then fails, and `src/clone.ts` says where). Getters run, and may throw.
 */
export function findUncloneable(value: unknown, path: string, seen?: Set<object>, depth = 0): Uncloneable | undefined {
  const type = typeof value;
  if (type === 'function' || type === 'symbol') return { path, what: describe(value) };
  if (type !== 'object' || value === null) return undefined;
  const object = value as object;
  if (ArrayBuffer.isView(object) || object instanceof ArrayBuffer || object instanceof Date || object instanceof RegExp) {
    return undefined;
  }
  if (object instanceof Promise || object instanceof WeakMap || object instanceof WeakSet || object instanceof WeakRef) {
    return { path, what: describe(object) };
  }
  const visited = seen ?? new Set<object>();
  if (visited.has(object)) return undefined;
  if (depth >= MAX_NESTING) {
    return { path: path.length > 80 ? `${path.slice(0, 80)}…` : path, what: `value nested more than ${MAX_NESTING} levels deep` };
  }
  visited.add(object);
  if (object instanceof Map) {
    for (const [key, entry] of object) {
      const found =
        findUncloneable(key, `${path}.<key>`, visited, depth + 1) ??
        findUncloneable(entry, `${path}.get(${describe(key)})`, visited, depth + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (object instanceof Set) {
    for (const entry of object) {
      const found = findUncloneable(entry, `${path}.<entry>`, visited, depth + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (Array.isArray(object)) {
    for (let i = 0; i < object.length; i++) {
      const found = findUncloneable(object[i], `${path}[${i}]`, visited, depth + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  for (const key of Object.keys(object)) {
    const found = findUncloneable((object as Record<string, unknown>)[key], `${path}.${key}`, visited, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** A short, safe description of any value for error messages. */
export function describe(value: unknown): string {
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'symbol') return value.toString();
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (value === null || typeof value !== 'object') return String(value);
  return Object.prototype.toString.call(value).slice(8, -1);
}
