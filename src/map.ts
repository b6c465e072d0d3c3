/**
 * `map()`: one function over many inputs, sent to the workers in chunks. The whole map runs
 * on one generation (pinned, like a call) and counts there as one call in flight until its
 * last chunk has settled, so an upgrade's drain waits for it. At most a few chunks per
 * thread are in flight, which is also the back-pressure on an async input.
 */
import { subscribe, unsubscribe } from './abort-fanout.js';
import { locateCloneFailure } from './clone.js';
import { HotError } from './errors.js';
import { callError } from './faults.js';
import type { Generation } from './generation.js';
import { assertInteger, assertKnownKeys, assertObject, assertTimeout, got, invalid } from './options.js';
import { type Fault, MAP_STOPPED, type SettledChunk } from './protocol.js';

/** Options of `map()`. */
export interface MapOptions {
  /**
   * Inputs sent to a worker in one task. Larger chunks cost less per input; smaller ones
   * spread uneven work better and make `onProgress` and `signal` finer.
   * @default for an array or iterable of n inputs on t threads: n / (4 t), between 1 and
   * {@link MAP_CHUNK_LIMIT}; for an async iterable, {@link MAP_ASYNC_CHUNK}
   */
  chunkSize?: number;
  /**
   * Aborts the map: inputs not yet started are skipped (in every chunk, queued or running)
   * and the map rejects with `signal.reason`. An input already running finishes; no worker
   * is terminated.
   */
  signal?: AbortSignal;
  /**
   * Milliseconds one chunk may take, from when it is sent, as a call's timeout (a chunk may
   * wait behind other calls; never behind the map's own, since with a limit the map sends one
   * chunk per thread at a time). A chunk over it has its worker terminated and replaced, and
   * the map rejects `ERR_HOT_CALL_TIMEOUT` (with `settle`, that chunk's inputs do).
   * At most {@link MAX_TIMEOUT_MS}, or `Infinity`.
   * @default the module's callTimeout
   */
  timeout?: number;
  /**
   * Told after each chunk settles: inputs done so far, and the total (`undefined` for an async
   * iterable until it has ended). A throw from it fails the map with that error.
   */
  onProgress?: (done: number, total: number | undefined) => void;
  /**
   * `true`: never reject for an input's own failure; resolve with one
   * `PromiseSettledResult`-shaped entry per input (`{ status: 'fulfilled', value }` or
   * `{ status: 'rejected', reason }`). The map itself still rejects when it cannot run:
   * closed module, unknown function, invalid options, abort, a throw from `onProgress` or
   * from reading the inputs.
   * @default false: reject with the first failure, and skip the inputs not yet started
   */
  settle?: boolean;
}

/**
 * The largest chunk chosen by default. Measured over 1,000,000 trivial inputs on 2 threads
 * (chunks of 64 to 16,384): the time per input falls up to about 4,096 and no further.
 */
export const MAP_CHUNK_LIMIT = 4_096;

/** The chunk size for an async iterable, whose length is unknown: each chunk is filled before it is sent. */
export const MAP_ASYNC_CHUNK = 256;

/** Chunks in flight per thread of the pool: one running, one queued behind it so that no worker waits. */
const CHUNKS_PER_THREAD = 2;

/** What `map()` reads its inputs from. */
export type MapInputs<T> = Iterable<T> | AsyncIterable<T>;

const mapOptionKeys = new Set(['chunkSize', 'signal', 'timeout', 'onProgress', 'settle']);

/** Validates `map()`'s inputs and options. Throws `ERR_HOT_INVALID_OPTION`. */
export function validateMap(fn: string, inputs: unknown, options: MapOptions): void {
  const iterable =
    typeof inputs === 'object' &&
    inputs !== null &&
    (typeof (inputs as Iterable<unknown>)[Symbol.iterator] === 'function' ||
      typeof (inputs as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function');
  if (!iterable) {
    throw invalid(`Expected the inputs of map('${fn}') to be an array, an iterable or an async iterable, got ${got(inputs)}`);
  }
  assertObject(options, 'options');
  assertKnownKeys(options, mapOptionKeys, 'map option');
  if (options.chunkSize !== undefined) assertInteger(options.chunkSize, 'chunkSize', 1);
  if (options.timeout !== undefined) assertTimeout(options.timeout, 'timeout');
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw invalid(`Expected \`signal\` to be an AbortSignal, got ${got(options.signal)}`);
  }
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
    throw invalid(`Expected \`onProgress\` to be a function, got ${got(options.onProgress)}`);
  }
  if (options.settle !== undefined && typeof options.settle !== 'boolean') {
    throw invalid(`Expected \`settle\` to be a boolean, got ${got(options.settle)}`);
  }
}

/** The default chunk size for `total` inputs (undefined: an async iterable) on `threads` threads. */
export function defaultChunkSize(total: number | undefined, threads: number): number {
  if (total === undefined) return MAP_ASYNC_CHUNK;
  // At least four chunks per thread, so that uneven inputs still spread over every worker.
  return Math.max(1, Math.min(MAP_CHUNK_LIMIT, Math.ceil(total / (4 * threads))));
}

/**
 * Runs `fn` over `inputs` on `generation` (the caller has checked that it exports `fn` as a
 * plain function), `threads` being its pool's maximum. Resolves with the results in input order.
 */
export function runMap(
  generation: Generation,
  fn: string,
  inputs: MapInputs<unknown>,
  options: MapOptions,
  threads: number,
): Promise<unknown[]> {
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(signal.reason);
  let known: readonly unknown[] | undefined;
  // A sync iterable is read whole now (its length sets the chunk size): a getter or a Proxy
  // throwing on the way rejects the map, as a throw from the iterable itself does.
  try {
    if (Array.isArray(inputs)) known = inputs;
    else if (typeof (inputs as Iterable<unknown>)[Symbol.iterator] === 'function') known = Array.from(inputs as Iterable<unknown>);
  } catch (error) {
    return Promise.reject(error);
  }
  if (known?.length === 0) return Promise.resolve([]);
  const run = new MapRun(generation, fn, options, known?.length, threads);
  if (known !== undefined) run.feedArray(known);
  else void run.feedAsync(inputs as AsyncIterable<unknown>);
  return run.promise;
}

class MapRun {
  readonly promise: Promise<unknown[]>;
  readonly #generation: Generation;
  readonly #fn: string;
  readonly #options: MapOptions;
  readonly #chunkSize: number;
  readonly #window: number;
  /** Set by the host to skip every input not yet started, in every chunk (see workers/map.ts). */
  readonly #stop = new Int32Array(new SharedArrayBuffer(4));
  readonly #release: () => void;
  readonly #results: unknown[];
  #total: number | undefined;
  #done = 0;
  #inFlight = 0;
  /** True once every chunk has been sent (or none more will be). */
  #fed = false;
  /** True once the map's promise has settled. */
  #ended = false;
  /** Resolves the feed's wait for a free slot. */
  #wake: (() => void) | undefined;
  #resolve!: (results: unknown[]) => void;
  #reject!: (error: unknown) => void;
  readonly #onAbort = () => this.#fail(this.#options.signal?.reason);

  constructor(generation: Generation, fn: string, options: MapOptions, total: number | undefined, threads: number) {
    this.promise = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#generation = generation;
    this.#fn = fn;
    this.#options = options;
    this.#total = total;
    this.#chunkSize = options.chunkSize ?? defaultChunkSize(total, threads);
    // A chunk's timeout counts from when it is sent, as a call's: with a limit, a map keeps one
    // chunk per thread in flight, so that none waits in the queue behind the map's own.
    const limited = (options.timeout ?? generation.callTimeout) !== Number.POSITIVE_INFINITY;
    this.#window = (limited ? 1 : CHUNKS_PER_THREAD) * threads;
    this.#results = total === undefined ? [] : new Array(total);
    // The generation lives until the last chunk sent has settled, whatever shifts meanwhile.
    this.#release = generation.hold();
    // Through abort-fanout.ts: maps sharing one signal cost O(1) each to start and end.
    if (options.signal !== undefined) subscribe(options.signal, this.#onAbort);
  }

  feedArray(inputs: readonly unknown[]): void {
    const size = this.#chunkSize;
    let offset = 0;
    const next = (): void => {
      while (!this.#ended && offset < inputs.length && this.#inFlight < this.#window) {
        const chunk = inputs.slice(offset, offset + size);
        this.#send(offset, chunk, next);
        offset += chunk.length;
      }
      if (offset >= inputs.length || this.#ended) this.#fedAll();
    };
    next();
  }

  async feedAsync(inputs: AsyncIterable<unknown>): Promise<void> {
    const size = this.#chunkSize;
    let offset = 0;
    let chunk: unknown[] = [];
    try {
      for await (const input of inputs) {
        if (this.#ended) break;
        chunk.push(input);
        if (chunk.length < size) continue;
        // Back-pressure: the source is not read further while the window is full.
        while (this.#inFlight >= this.#window && !this.#ended) await new Promise<void>((wake) => (this.#wake = wake));
        if (this.#ended) break;
        this.#send(offset, chunk, this.#wakeFeed);
        offset += chunk.length;
        chunk = [];
      }
      if (!this.#ended && chunk.length > 0) {
        this.#send(offset, chunk, this.#wakeFeed);
        offset += chunk.length;
      }
      this.#total = offset;
    } catch (error) {
      // Reading the inputs threw.
      this.#fail(error);
    }
    this.#fedAll();
  }

  readonly #wakeFeed = (): void => {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  };

  #send(offset: number, inputs: unknown[], onSettled: () => void): void {
    this.#inFlight++;
    const { settle = false, timeout } = this.#options;
    const task = this.#generation.run(this.#fn, inputs, timeout === undefined ? undefined : { timeout }, {
      map: { offset, settle, stop: this.#stop },
    });
    task.then(
      (outcome) => {
        this.#inFlight--;
        if (!this.#ended && outcome !== MAP_STOPPED) this.#store(offset, inputs.length, outcome);
        this.#settled(onSettled);
      },
      (error: unknown) => {
        this.#inFlight--;
        if (!this.#ended) this.#chunkFailed(offset, inputs, error, onSettled);
        this.#settled(onSettled);
      },
    );
  }

  #store(offset: number, count: number, outcome: unknown): void {
    const results = this.#results;
    if (this.#options.settle !== true) {
      const values = outcome as unknown[];
      for (let i = 0; i < count; i++) results[offset + i] = values[i];
    } else {
      const { values, failures } = outcome as SettledChunk;
      for (let i = 0; i < count; i++) results[offset + i] = { status: 'fulfilled', value: values[i] };
      if (failures !== undefined) for (const [i, fault] of failures) this.#rejected(offset + i, this.#reason(fault));
    }
    this.#progress(count);
  }

  /** A chunk that failed as a whole: its send, its worker, its timeout, or (not settling) one of its inputs. */
  #chunkFailed(offset: number, inputs: unknown[], error: unknown, onSettled: () => void): void {
    const unsent = HotError.is(error, 'ERR_HOT_CLONE') && error.path?.startsWith('args') === true;
    if (this.#options.settle !== true) {
      this.#fail(unsent ? this.#inputCloneError(offset, inputs, error) : error);
      return;
    }
    if (unsent && inputs.length > 1) {
      // Settling, an input that cannot be sent fails alone: resend the chunk one input at a time.
      for (let i = 0; i < inputs.length; i++) this.#send(offset + i, [inputs[i]], onSettled);
      return;
    }
    const reason = unsent ? this.#inputCloneError(offset, inputs, error) : error;
    for (let i = 0; i < inputs.length; i++) this.#rejected(offset + i, reason);
    this.#progress(inputs.length);
  }

  #rejected(index: number, reason: unknown): void {
    this.#results[index] = { status: 'rejected', reason };
  }

  /** One input's own failure, as a call of it would have rejected. */
  #reason(fault: Fault): unknown {
    const { version } = this.#generation;
    return callError(fault, {
      fn: this.#fn,
      args: [],
      version: version.id,
      signal: undefined,
      timedOutAfterMs: undefined,
      endReason: undefined,
    });
  }

  /** The error for a chunk whose send failed, naming the first input that cannot be cloned by its index. */
  #inputCloneError(offset: number, inputs: unknown[], error: HotError): HotError {
    for (let i = 0; i < inputs.length; i++) {
      const found = locateCloneFailure(inputs[i], `inputs[${offset + i}]`);
      if (found === undefined) continue;
      return new HotError(
        'ERR_HOT_CLONE',
        `Cannot send input ${offset + i} of map('${this.#fn}') to a worker: ${found.path} is a ${found.what}. Pass only structured-cloneable inputs.`,
        { cause: found.cause ?? error, fn: this.#fn, version: this.#generation.version.id, path: found.path },
      );
    }
    return error;
  }

  #progress(count: number): void {
    this.#done += count;
    const { onProgress } = this.#options;
    if (onProgress === undefined) return;
    try {
      onProgress(this.#done, this.#total);
    } catch (error) {
      this.#fail(error);
    }
  }

  #settled(onSettled: () => void): void {
    onSettled();
    this.#finishIfDone();
  }

  #fedAll(): void {
    this.#fed = true;
    this.#finishIfDone();
  }

  #finishIfDone(): void {
    if (!this.#fed || this.#inFlight > 0) return;
    if (this.#options.signal !== undefined) unsubscribe(this.#options.signal, this.#onAbort);
    this.#release();
    if (this.#ended) return;
    this.#ended = true;
    this.#results.length = this.#total ?? this.#results.length;
    this.#resolve(this.#results);
  }

  /** Ends the map with `error` at once; chunks still running skip what they have not started, and the hold ends with the last. */
  #fail(error: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    Atomics.store(this.#stop, 0, 1);
    this.#reject(error);
    this.#wakeFeed();
    // Nothing more is sent: the hold ends with the last chunk already running.
    this.#fed = true;
    this.#finishIfDone();
  }
}
