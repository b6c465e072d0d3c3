/**
 * How a failed call is reported: what the worker, piscina and Node say, mapped to one
 * coded error. A function's own error passes through unwrapped; everything else is a
 * HotError with the original as `cause`.
 */
import { HotError, HotErrorCodes } from './errors.js';
import { deserializeError, type ExitReport, FAULT, findUncloneable, isFault } from './protocol.js';

/** What is known about a call when it fails. */
export interface FailedCall {
  readonly fn: string;
  readonly args: readonly unknown[];
  readonly version: number;
  /** The caller's own AbortSignal, if any. */
  readonly signal: AbortSignal | undefined;
  /** Set when the call's timeout fired: its limit in ms. */
  readonly timedOutAfterMs: number | undefined;
  /** Why the generation's pool was destroyed, if it was. */
  readonly endReason: string | undefined;
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
          { fn, version, path: error.path },
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
  if ((error as Error)?.name === 'DataCloneError') {
    const found = findUncloneable(call.args, 'args');
    const where = found ? `${found.path} is a ${found.what}` : (error as Error).message;
    return new HotError(
      'ERR_HOT_CLONE',
      `Cannot send the arguments of ${fn}() to a worker: ${where}. Pass only structured-cloneable data.`,
      {
        cause: error,
        fn,
        version,
        ...(found ? { path: found.path } : {}),
      },
    );
  }
  return workerDeath(error, { version, fn, endReason: call.endReason });
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
