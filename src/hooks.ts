/**
 * A version's own hand-over and clean-up, host side: asks one worker of the old version for
 * `hotExport()`, hands the result to `hotImport()` in every worker of the new one, and runs
 * `hotDispose()` in every worker of a version that ends. (`hotSetup()` runs inside each
 * worker's load, see workers/hooks.ts.)
 */
import { deadline } from './deadline.js';
import { HotError } from './errors.js';
import type { Generation } from './generation.js';
import { type CallTask, deserializeError, type EveryWorker, HOOK_TASK, isFault } from './protocol.js';

/** What `hotImport(state, from)` is told about the version the state came from. */
export interface StateSource {
  /** The version id that exported the state. */
  readonly id: number;
  /** Its bundle's content hash. */
  readonly hash: string;
}

/**
 * Carries state from `from` to `to` when `from` exports `hotExport` and `to` exports
 * `hotImport`; otherwise carries nothing. Both hooks together must settle within `timeoutMs`.
 * Rejects `ERR_HOT_STATE` (the caller ends `to`; `from` keeps serving), or `signal.reason`.
 */
export async function handOver(from: Generation, to: Generation, timeoutMs: number, signal: AbortSignal): Promise<void> {
  if (!from.artifact.exports.includes('hotExport') || !to.artifact.exports.includes('hotImport')) return;
  const limit = deadline(signal, timeoutMs);
  let hook = 'hotExport()';
  let at = from;
  try {
    const state = await from.runInternal({ fn: HOOK_TASK.export, args: [] }, limit.signal);
    hook = 'hotImport()';
    at = to;
    const source: StateSource = { id: from.version.id, hash: from.version.hash };
    await inEveryWorker(to, HOOK_TASK.import, [state, source], limit.signal);
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    const reason = limit.expired ? `did not settle within loadTimeout (${timeoutMs} ms)` : `failed: ${hookError(error).message}`;
    throw new HotError(
      'ERR_HOT_STATE',
      `${hook} of version ${at.version.id} ${reason}; version ${from.version.id} keeps serving. Fix the hook, or drop it to carry no state.`,
      { cause: limit.expired ? undefined : hookError(error), version: at.version.id },
    );
  } finally {
    limit.dispose();
  }
}

/**
 * Runs `hotDispose()` in every worker of an idle generation about to end, within `timeoutMs`.
 * Never rejects: resolves with `ERR_HOT_DISPOSE` describing a throw or a timeout, or undefined.
 */
export async function dispose(generation: Generation, timeoutMs: number): Promise<HotError | undefined> {
  if (!generation.artifact.exports.includes('hotDispose')) return undefined;
  const limit = deadline(undefined, timeoutMs);
  try {
    await inEveryWorker(generation, HOOK_TASK.dispose, [], limit.signal);
    return undefined;
  } catch (error) {
    const { id } = generation.version;
    const reason = limit.expired ? `did not settle within disposeTimeout (${timeoutMs} ms)` : `failed: ${hookError(error).message}`;
    return new HotError('ERR_HOT_DISPOSE', `hotDispose() of version ${id} ${reason}; its workers were ended anyway`, {
      cause: limit.expired ? undefined : hookError(error),
      version: id,
    });
  } finally {
    limit.dispose();
  }
}

/**
 * One task per worker of the pool, each held at a barrier until all have a worker of their own.
 * Only for a pool that is destroyed if this fails or times out: the tasks are not aborted (an
 * abort makes piscina start a replacement worker, which can land in the destroyed pool and
 * never end); the destroy that follows rejects any still running.
 */
async function inEveryWorker(generation: Generation, fn: CallTask['fn'], args: unknown[], signal: AbortSignal): Promise<void> {
  const workers = generation.threadIds.length;
  const every: EveryWorker = { barrier: new SharedArrayBuffer(4), workers };
  const tasks = Promise.all(Array.from({ length: workers }, () => generation.runInternal({ fn, args: [...args, every] })));
  tasks.catch(() => undefined);
  let onAbort: (() => void) | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      tasks.then(() => resolve(), reject);
      onAbort = () => reject(signal.reason);
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
  }
}

function hookError(error: unknown): Error {
  if (isFault(error) && 'error' in error) return deserializeError(error.error);
  return error instanceof Error ? error : new Error(String(error));
}
