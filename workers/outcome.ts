/**
 * What a worker sends back for one call of the user's function: its result once proven
 * cloneable, or a {@link Fault} saying why not. Shared by calls (`dispatch.ts`) and `map()`
 * chunks (`map.ts`).
 */
import { locateCloneFailure } from '../src/clone.js';
import { FAULT, type Fault, findUncloneable, serializeError, type Uncloneable } from '../src/protocol.js';

/**
 * Returns `result` when it can cross threads; throws a clone {@link Fault} naming `path` (the
 * place of the offending value inside the result) otherwise.
 */
export function checkResult(result: unknown, path = 'result'): unknown {
  // Primitives, the common case, are always cloneable: skip the walk.
  if (typeof result !== 'object' || result === null) {
    if (typeof result !== 'function' && typeof result !== 'symbol') return result;
  }
  let found: Uncloneable | undefined;
  try {
    found = findUncloneable(result, path);
  } catch {
    // A getter of the result threw while walking it: find which, without throwing.
    found = locateCloneFailure(result, path);
  }
  // An uncloneable result would make piscina's postMessage throw inside the worker, killing it;
  // report precisely instead.
  if (found !== undefined)
    throw {
      [FAULT]: 'clone',
      path: found.path,
      what: found.what,
      ...('cause' in found ? { cause: serializeError(found.cause) } : {}),
    } satisfies Fault;
  return result;
}

/** The user's function threw (or rejected) `error`. */
export function userFault(error: unknown): Fault {
  return { [FAULT]: 'user', error: serializeError(error) };
}

export function rethrowUserFault(error: unknown): never {
  throw userFault(error);
}
