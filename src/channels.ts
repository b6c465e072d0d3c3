/**
 * The message shapes of the per-call channels both sides share: the callbacks a call carries
 * and the values a stream sends. Like `protocol.ts`, nothing here may import main-thread code:
 * the worker imports this file too.
 */
import type { MessagePort } from 'node:worker_threads';
import type { SerializedError } from './protocol.js';

/**
 * Where a call's callbacks sat in its arguments: `[argIndex]` for a top-level function,
 * `[argIndex, key]` for a property of a plain-object argument. The worker puts an async
 * stand-in at each place; the host exposes the functions, in this order, on the other end of
 * `port` (comlink).
 */
export interface CallbackSpec {
  readonly port: MessagePort;
  readonly at: ReadonlyArray<readonly [index: number, key?: string]>;
}

/**
 * Values a stream may send before the consumer asks for more: the bound of the host's buffer.
 * Small, so a slow consumer holds the generator back; large enough that a fast one rarely waits.
 */
export const STREAM_WINDOW = 16;

/** Host to worker, on a stream's port. */
export type StreamControl =
  /** The consumer took `credit` values: the worker may send that many more. */
  | { readonly type: 'pull'; readonly credit: number }
  /** The consumer stopped (`break`, `return()`): end the generator, its `finally` runs. */
  | { readonly type: 'return' };

/** Worker to host, on a stream's port. `end` or `error` is the last message. */
export type StreamMessage =
  | { readonly type: 'value'; readonly value: unknown }
  | { readonly type: 'end' }
  /** The generator threw: its error. */
  | { readonly type: 'error'; readonly error: SerializedError }
  /** A yielded value cannot be structured-cloned: where in it. */
  | { readonly type: 'clone'; readonly path: string; readonly what: string };
