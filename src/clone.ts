/**
 * Where structured clone really fails, found after a clone (a postMessage) has failed: a
 * Proxy, a host object such as `Intl.Collator`, a getter that throws, a value nested too
 * deep. Only ever run on the failure path, so it may clone repeatedly. Shared by the main
 * thread (arguments) and `workers/` (results): it imports no main-thread code.
 */
import { types } from 'node:util';
import { describe, type Uncloneable } from './protocol.js';

/** Where a clone failed, what sits there, and what the clone (or a getter) threw. */
export interface CloneFailure extends Uncloneable {
  readonly cause: unknown;
}

/** How far down a failing value is searched for the culprit; deeper, the failure is reported where the search stopped. */
const MAX_DESCENT = 64;

/**
 * Returns where `value` fails to structured-clone, e.g. `result.list[1].c` for an
 * `Intl.Collator`, or `undefined` when it clones. Safe on hostile values: it never throws.
 */
export function locateCloneFailure(value: unknown, path: string): CloneFailure | undefined {
  const failure = tryClone(value);
  return failure === undefined ? undefined : descend(value, path, failure.error, 0);
}

function tryClone(value: unknown): { error: unknown } | undefined {
  try {
    structuredClone(value);
    return undefined;
  } catch (error) {
    return { error };
  }
}

function descend(value: unknown, path: string, error: unknown, depth: number): CloneFailure {
  // A stack overflow says the nesting, not one value, is the problem: report it where it starts.
  if (error instanceof RangeError) return { path, what: `value nested too deep to clone (${error.message})`, cause: error };
  if (typeof value !== 'object' || value === null || types.isProxy(value) || depth >= MAX_DESCENT) {
    return { path, what: whatOf(value), cause: error };
  }
  try {
    for (const [child, childPath] of children(value, path)) {
      let read: unknown;
      try {
        read = child();
      } catch (thrown) {
        return { path: childPath, what: `getter that threw: ${messageOf(thrown)}`, cause: thrown };
      }
      const failure = tryClone(read);
      if (failure !== undefined) return descend(read, childPath, failure.error, depth + 1);
    }
  } catch (thrown) {
    // Listing the keys threw (a Proxy-like host object): the value itself is the culprit.
    return { path, what: `${whatOf(value)} whose keys cannot be read: ${messageOf(thrown)}`, cause: thrown };
  }
  return { path, what: whatOf(value), cause: error };
}

/** Each child of a container: a reader (it may throw, as a getter may) and its path. */
function* children(value: object, path: string): Generator<[() => unknown, string]> {
  if (value instanceof Map) {
    for (const [key, entry] of value) yield [() => entry, `${path}.get(${describe(key)})`];
    return;
  }
  if (value instanceof Set) {
    for (const entry of value) yield [() => entry, `${path}.<entry>`];
    return;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) yield [() => value[i], `${path}[${i}]`];
    return;
  }
  for (const key of Object.keys(value)) yield [() => (value as Record<string, unknown>)[key], `${path}.${key}`];
}

function whatOf(value: unknown): string {
  return typeof value === 'object' && value !== null && types.isProxy(value) ? 'Proxy' : describe(value);
}

function messageOf(error: unknown): string {
  try {
    return error instanceof Error ? error.message : String(error);
  } catch {
    return 'an unreadable value';
  }
}
