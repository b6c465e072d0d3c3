/**
 * How a call's failure travels through a BullMQ job: BullMQ keeps only the thrown error's
 * message as the job's `failedReason`, so the node writes `<code>: <message>` for a
 * `HotError` and `<name>: <message>` for the module's own error, and the producer rebuilds
 * the error from that line.
 */
import { UnrecoverableError } from 'bullmq';
import { HotError, type HotErrorCode, HotErrorCodes } from '../errors.js';

/**
 * Codes no retry can fix: the function does not exist, or its arguments or result cannot
 * cross a thread. They fail the job at once, whatever the queue's `attempts`.
 */
const UNRECOVERABLE: ReadonlySet<HotErrorCode> = new Set(['ERR_HOT_NO_EXPORT', 'ERR_HOT_CLONE']);

/** The error a node's processor throws for a failed call. */
export function jobFailure(error: unknown): Error {
  if (HotError.is(error)) {
    const line = `${error.code}: ${error.message}`;
    return UNRECOVERABLE.has(error.code) ? new UnrecoverableError(line) : new Error(line, { cause: error });
  }
  const name = (error as Error)?.name ?? 'Error';
  const message = (error as Error)?.message ?? String(error);
  return new Error(`${name}: ${message}`, { cause: error });
}

const BUILTIN: Readonly<Record<string, ErrorConstructor>> = { TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError };

/** The error a producer sees for a job's `failedReason`: a `HotError` with its code, or an `Error` with the module's error name. */
export function rebuildFailure(reason: string, fn: string): Error {
  const match = /^([A-Za-z_$][\w$]*): ([\s\S]*)$/.exec(reason);
  if (match === null) return new Error(reason);
  const [, name, message] = match as unknown as [string, string, string];
  if (name in HotErrorCodes) return new HotError(name as HotErrorCode, message, { fn });
  const error = new (BUILTIN[name] ?? Error)(message);
  if (error.name !== name) Object.defineProperty(error, 'name', { value: name, writable: true, configurable: true });
  return error;
}
