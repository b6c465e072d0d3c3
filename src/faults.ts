/**
 * How a failed call is reported: what the worker, piscina and Node say, mapped to one
 * coded error. A function's own error passes through unwrapped; everything else is a
 * HotError with the original as `cause`.
 */
import type { SignalLike } from './call-signal.js';
import { locateCloneFailure } from './clone.js';
import { HotError, HotErrorCodes } from './errors.js';
import { deserializeError, type ExitReport, FAULT, findUncloneable, isFault, type Uncloneable } from './protocol.js';

/** What is known about a call when it fails. */
export interface FailedCall {
  readonly fn: string;
  readonly args: readonly unknown[];
  readonly version: number;
  /** The caller's own AbortSignal, if any. */
  readonly signal: SignalLike | undefined;
  /** Set when the call's timeout fired: its limit in ms. */
  readonly timedOutAfterMs: number | undefined;
  /** Why the generation's pool was destroyed, if it was. */
  readonly endReason: string | undefined;
  /** True when the call moved objects (`transfer`): its arguments may be detached since. */
  readonly transferred?: boolean;
  /** True when reading the arguments threw before anything was sent: no worker was involved. */
  readonly unread?: boolean;
}

/** Maps a call's rejection to what its caller receives. */
export function callError(error: unknown, call: FailedCall): unknown {
  const { fn, version } = call;
  if (isFault(error)) {
    switch (error[FAULT]) {
      case 'user':
        return reviveHotError(deserializeError(error.error));
      case 'clone':
        return new HotError(
          'ERR_HOT_CLONE',
          `${fn}() returned a value that cannot cross threads: ${error.path} is a ${error.what}. Return only structured-cloneable data.`,
          { fn, version, path: error.path, ...(error.cause === undefined ? {} : { cause: deserializeError(error.cause) }) },
        );
      case 'load': {
        const cause = deserializeError(error.error);
        return new HotError('ERR_HOT_LOAD', `A worker of version ${version} failed to load the module: ${cause.message}`, {
          cause,
          fn,
          version,
        });
      }
      case 'no-export':
        return new HotError('ERR_HOT_NO_EXPORT', `${fn} is not an exported function of version ${version}`, { fn, version });
      case 'generator':
        return generatorCalled(fn, version);
    }
  }
  if (call.timedOutAfterMs !== undefined) {
    return new HotError(
      'ERR_HOT_CALL_TIMEOUT',
      `${fn}() did not finish within ${call.timedOutAfterMs} ms; its worker was terminated and replaced`,
      { fn, version },
    );
  }
  if (call.signal?.aborted && (error as Error)?.name === 'AbortError') return call.signal.reason;
  const unsent = call.endReason === undefined ? sendError(error, call) : undefined;
  if (unsent !== undefined) return unsent;
  return workerDeath(error, { version, fn, endReason: call.endReason });
}

/**
 * The task never left this thread: piscina's postMessage of it threw (an argument structured
 * clone refuses, a getter of an argument that throws, nesting too deep, an invalid transfer
 * list) and piscina rejected the call with that raw error, the worker untouched.
 */
function sendError(error: unknown, call: FailedCall): HotError | undefined {
  const { fn, version } = call;
  if ((error as { code?: unknown })?.code === 'ERR_INVALID_TRANSFER_OBJECT') {
    return new HotError(
      'ERR_HOT_INVALID_OPTION',
      `Expected \`transfer\` of ${fn}() to list only transferable objects (ArrayBuffer, MessagePort, …): ${(error as Error).message}`,
      { cause: error, fn, version },
    );
  }
  if (isOutOfMemory(error) || /worker exited with code/.test(String((error as Error)?.message))) return undefined;
  const cloneError = (error as Error)?.name === 'DataCloneError';
  // A transferred buffer is detached once sent: cloning the arguments again proves nothing.
  if (call.transferred === true && !cloneError) return undefined;
  // Only on a failure: clone the arguments again to learn whether they were the problem, and where.
  const found: (Uncloneable & { cause?: unknown }) | undefined = cloneError
    ? (safeFind(call.args) ?? locateCloneFailure(call.args, 'args'))
    : locateCloneFailure(call.args, 'args');
  if (found === undefined && !cloneError && call.unread !== true) return undefined;
  // A getter that threw once may not throw again when the arguments are read a second time.
  const where = found
    ? `${found.path} is a ${found.what}`
    : cloneError
      ? (error as Error).message
      : `reading them threw: ${(error as Error)?.message ?? String(error)}`;
  return new HotError('ERR_HOT_CLONE', `Cannot send the arguments of ${fn}() to a worker: ${where}. Pass only structured-cloneable data.`, {
    cause: found?.cause ?? error,
    fn,
    version,
    ...(found ? { path: found.path } : {}),
  });
}

function safeFind(args: readonly unknown[]): Uncloneable | undefined {
  try {
    return findUncloneable(args, 'args');
  } catch {
    return undefined;
  }
}

/** Maps whatever piscina reports for a dead worker to `ERR_HOT_WORKER_EXIT`, keeping the cause. */
export function workerDeath(error: unknown, at: { version: number; fn?: string; endReason?: string | undefined }): HotError {
  const { version, fn, endReason } = at;
  const who = fn === undefined ? 'A worker' : `The worker running ${fn}()`;
  const details = { cause: error, version, ...(fn === undefined ? {} : { fn }) };
  if (endReason !== undefined) {
    return new HotError('ERR_HOT_WORKER_EXIT', `${who} of version ${version} was terminated: ${endReason}`, details);
  }
  if (isOutOfMemory(error)) {
    return new HotError('ERR_HOT_WORKER_EXIT', `${who} of version ${version} ran out of memory (resourceLimits) and was replaced`, details);
  }
  const message = (error as Error)?.message ?? String(error);
  const exited = /worker exited with code: (-?\d+)/.exec(message);
  if (exited) {
    const exitCode = Number(exited[1]);
    return new HotError('ERR_HOT_WORKER_EXIT', `${who} of version ${version} exited with code ${exitCode}`, { ...details, exitCode });
  }
  return new HotError('ERR_HOT_WORKER_EXIT', `${who} of version ${version} died: ${message}`, details);
}

/** The crash a worker reported about itself as it ended. */
export function exitError(report: ExitReport, version: number): HotError {
  if (report.error !== undefined) {
    const cause = deserializeError(report.error);
    return new HotError('ERR_HOT_WORKER_EXIT', `A worker of version ${version} died from an uncaught exception: ${cause.message}`, {
      cause,
      exitCode: report.code,
      version,
    });
  }
  return new HotError('ERR_HOT_WORKER_EXIT', `A worker of version ${version} exited with code ${report.code}`, {
    exitCode: report.code,
    version,
  });
}

export function isOutOfMemory(error: unknown): boolean {
  return (error as { code?: unknown } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY';
}

/** `call()` of a generator function: its values only travel by `stream()`. */
export function generatorCalled(fn: string, version: number): HotError {
  return new HotError(
    'ERR_HOT_CALL_KIND',
    `${fn} is a generator function of version ${version}: read its values with stream('${fn}', ...args) or runStream(), not call() or api`,
    { fn, version },
  );
}

/**
 * A HotError raised inside the worker (a late callback's `ERR_HOT_CALLBACK_SETTLED`, left
 * uncaught) comes back as what it was, so `HotError.is()` and `instanceof` hold for it.
 */
function reviveHotError(error: Error): Error {
  const code = (error as { code?: unknown }).code;
  if (error.name !== 'HotError' || typeof code !== 'string' || !Object.hasOwn(HotErrorCodes, code)) return error;
  const revived = new HotError(code as keyof typeof HotErrorCodes, error.message, { cause: error.cause });
  revived.stack = error.stack;
  return revived;
}
