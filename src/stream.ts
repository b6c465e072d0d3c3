/**
 * Streams: an exported generator (sync or async) read as an `AsyncIterableIterator` in the
 * caller. The stream is a call of its own: pinned to the version current when it starts,
 * counted in flight until the generator is done, under the call's timeout and signal, and
 * waited for (or killed) by an upgrade's drain. Values travel on a port of the stream's own,
 * at most `STREAM_WINDOW` ahead of the consumer; `break` (or `return()`) stops the generator
 * in the worker, where its `finally` runs.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { STREAM_WINDOW, type StreamControl, type StreamMessage } from './channels.js';
import { HotError } from './errors.js';
import { deserializeError } from './protocol.js';

/**
 * Starts the stream's task in a worker, with the worker's end of its port; settles when the
 * generator is done. `reopen` gives the worker's end of a new port, for a task sent again
 * because the worker it first went to died before beginning it (and took the first port).
 */
export type StartStream = (port: MessagePort, reopen: () => MessagePort) => Promise<unknown>;

/** Grant more credit once this many values were taken, so the worker is told in batches. */
const GRANT_EVERY = Math.max(1, STREAM_WINDOW / 2);

interface Waiter {
  resolve: (result: IteratorResult<unknown>) => void;
  reject: (error: unknown) => void;
}

/**
 * Streams their consumer dropped without `return()` (`await m.stream('scan').next()`, then
 * nothing): once the iterator is garbage, the generator is stopped as `break` would, so that it
 * does not hold its worker for good. The core is what the port's listener and the task hold;
 * only the consumer holds the {@link WorkerStream} around it.
 */
const abandoned = new FinalizationRegistry<StreamCore>((core) => {
  void core.return();
});

/**
 * The caller's side of one stream: an `AsyncIterableIterator`. `break`, `return()`, or letting
 * go of it (once it is garbage-collected) stops the generator in the worker.
 */
export class WorkerStream<T> implements AsyncIterableIterator<T> {
  readonly #core: StreamCore;

  constructor(fn: string, version: number, start: StartStream) {
    this.#core = new StreamCore(fn, version, start);
    abandoned.register(this, this.#core, this.#core);
  }

  next(): Promise<IteratorResult<T>> {
    return this.#core.next() as Promise<IteratorResult<T>>;
  }

  /**
   * Stops the stream: the generator in the worker is ended where it paused (its `finally`
   * runs). Resolves once the worker is done with it, so that after a `break` the worker is free.
   */
  return(): Promise<IteratorResult<T>> {
    abandoned.unregister(this.#core);
    return this.#core.return() as Promise<IteratorResult<T>>;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}

/** One stream's state: held by its port's listener and its task, never by the consumer's iterator alone. */
class StreamCore {
  readonly #fn: string;
  readonly #version: number;
  /** Ours of the stream's port: replaced by #reopen for a task sent again. */
  #port!: MessagePort;
  /** The task: settles once the worker is done with the generator (or died). */
  readonly #task: Promise<unknown>;
  /** Values received and not yet taken; never more than STREAM_WINDOW. */
  readonly #buffer: unknown[] = [];
  /** `next()` calls waiting for a value, oldest first: `for await` asks one at a time, a caller may ask several at once. */
  #waiters: Waiter[] = [];
  /** Values taken since credit was last granted. */
  #taken = 0;
  /** Set once the stream can yield nothing more than the buffer: `done`, or the error to reject with. */
  #end: { readonly error: unknown } | 'done' | undefined;
  /** The worker's last message on the port, as the end it means; the stream ends once the task has settled too. */
  #last: { readonly error: unknown } | 'done' | undefined;
  /** True once the task resolved. */
  #taskDone = false;
  /** True once the consumer stopped, or the end was delivered: later `next()` calls are `done`. */
  #finished = false;

  constructor(fn: string, version: number, start: StartStream) {
    this.#fn = fn;
    this.#version = version;
    this.#task = start(this.#open(), () => this.#reopen());
    // The end needs both the last message on the port and the task's result, which travel
    // on different ports in no set order: so the last `next()` resolves once the worker is free.
    // A task that fails (worker death, timeout, abort, drain killed it) ends the stream with its error.
    this.#task.then(
      () => {
        this.#taskDone = true;
        if (this.#last !== undefined) this.#finish(this.#last);
      },
      (error: unknown) => {
        if (this.#end === undefined) this.#finish(this.#last ?? { error });
      },
    );
  }

  next(): Promise<IteratorResult<unknown>> {
    if (this.#buffer.length > 0) {
      const value = this.#buffer.shift();
      this.#grant();
      return Promise.resolve({ done: false, value });
    }
    if (this.#end !== undefined && !this.#finished) {
      this.#finished = true;
      if (this.#end !== 'done') return Promise.reject(this.#end.error);
    }
    if (this.#finished) return Promise.resolve({ done: true, value: undefined });
    return new Promise<IteratorResult<unknown>>((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
    });
  }

  async return(): Promise<IteratorResult<unknown>> {
    if (!this.#finished) {
      this.#finished = true;
      this.#buffer.length = 0;
      if (this.#end === undefined) this.#post({ type: 'return' });
      for (const waiter of this.#waiters.splice(0)) waiter.resolve({ done: true, value: undefined });
    }
    await this.#task.then(undefined, () => undefined);
    this.#port.close();
    return { done: true, value: undefined };
  }

  #receive(message: StreamMessage): void {
    if (this.#end !== undefined || this.#last !== undefined) return;
    switch (message.type) {
      case 'values':
        for (const value of message.values) {
          const waiter = this.#waiters.shift();
          if (waiter === undefined) {
            this.#buffer.push(value);
          } else {
            waiter.resolve({ done: false, value });
            this.#grant();
          }
        }
        return;
      case 'end':
        this.#ended('done');
        return;
      case 'error':
        this.#ended({ error: deserializeError(message.error) });
        return;
      case 'clone':
        this.#ended({
          error: new HotError(
            'ERR_HOT_CLONE',
            `${this.#fn}() yielded a value that cannot cross threads: ${message.path} is a ${message.what}. Yield only structured-cloneable data.`,
            { fn: this.#fn, version: this.#version, path: message.path },
          ),
        });
        return;
    }
  }

  /** The worker sent its last message: the stream ends now, or once the task has settled. */
  #ended(end: { readonly error: unknown } | 'done'): void {
    this.#last = end;
    if (this.#taskDone) this.#finish(end);
  }

  /**
   * No more values will come: the oldest waiting `next()` gets the end (done, or the error),
   * every later one `done`, as an async generator answers them; with none waiting, the end is
   * left for the next `next()` after the buffer.
   */
  #finish(end: { readonly error: unknown } | 'done'): void {
    this.#end = end;
    this.#port.close();
    const waiters = this.#waiters.splice(0);
    const first = this.#finished ? undefined : waiters.shift();
    if (first !== undefined) {
      this.#finished = true;
      if (end === 'done') first.resolve({ done: true, value: undefined });
      else first.reject(end.error);
    }
    for (const waiter of waiters) waiter.resolve({ done: true, value: undefined });
  }

  /** One value was taken: let the worker send more, in batches. */
  #grant(): void {
    if (++this.#taken < GRANT_EVERY || this.#end !== undefined) return;
    this.#post({ type: 'pull', credit: this.#taken });
    this.#taken = 0;
  }

  /** Opens a channel for the stream: listens on our end, keeps it as #port, and returns the worker's. */
  #open(): MessagePort {
    const { port1, port2 } = new MessageChannel();
    port1.on('message', (message: StreamMessage) => this.#receive(message));
    this.#port = port1;
    return port2;
  }

  /**
   * A new port for the task sent again: the generator never began, so nothing came on the old
   * one. A consumer that already stopped has its 'return' posted again, on the new port.
   */
  #reopen(): MessagePort {
    this.#port.close();
    const workerEnd = this.#open();
    if (this.#finished && this.#end === undefined) this.#post({ type: 'return' });
    return workerEnd;
  }

  #post(control: StreamControl): void {
    this.#port.postMessage(control);
  }
}

/** `stream()` of a name the version exports as a plain function. */
export function notAGenerator(fn: string, version: number): HotError {
  return new HotError(
    'ERR_HOT_CALL_KIND',
    `${fn} is not a generator function of version ${version}: only exported generator functions (function*, async function*) stream; call it with call() or api`,
    { fn, version },
  );
}

/** A stream that could not start: its first `next()` rejects with `error`, then it is done. */
export function failedStream<T>(error: unknown): AsyncIterableIterator<T> {
  let delivered = false;
  return {
    next() {
      if (delivered) return Promise.resolve({ done: true, value: undefined });
      delivered = true;
      return Promise.reject(error);
    },
    return() {
      delivered = true;
      return Promise.resolve({ done: true, value: undefined });
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
