/**
 * A one-slot flag a worker sets (slot 0 to 1, then notify): how a test learns whether work a
 * call left behind has run, without sleeping.
 */

/** A fresh flag, unset. */
export function newFlag(): SharedArrayBuffer {
  return new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
}

/** Resolves 'ok' (or 'not-equal', already set) once slot 0 of `flag` is set, 'timed-out' after `ms`. */
export async function whenSet(flag: SharedArrayBuffer, ms: number): Promise<string> {
  const wait = Atomics.waitAsync(new Int32Array(flag), 0, 0, ms);
  return wait.async ? await wait.value : wait.value;
}
