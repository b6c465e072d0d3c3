/**
 * The handoff of a bundle to standby workers: booted threads, waiting with their dispatcher
 * loaded, that have never run user code. piscina owns `parentPort` (a message there is taken
 * as its start message), so the bundle travels through a growable `SharedArrayBuffer` passed
 * in `workerData` instead. It is written once; a worker that starts later (a respawn after a
 * crash, growth towards `maxThreads`) reads it at boot, so every thread of the pool runs the
 * same version and no thread ever runs two.
 *
 * Layout: Int32 [0] state (0 waiting, 1 written), Int32 [1] byte length, then UTF-8 JSON.
 * Nothing here may import main-thread code: the worker imports this file too.
 */

const HEADER_BYTES = 8;
/** Room for a long bundle path and whatever else the worker data carries. */
const MAX_BYTES = 1 << 20;

/** A fresh, empty handoff buffer for one standby pool. */
export function createHandoff(): SharedArrayBuffer {
  // Growable: the payload's size is only known at the handoff.
  return new SharedArrayBuffer(HEADER_BYTES, { maxByteLength: HEADER_BYTES + MAX_BYTES });
}

/**
 * Writes `payload` (JSON-serializable) and wakes every waiting worker. Throws when the buffer
 * was already written: a standby pool is handed one version, once.
 */
export function writeHandoff(buffer: SharedArrayBuffer, payload: unknown): void {
  const header = new Int32Array(buffer, 0, 2);
  if (Atomics.load(header, 0) !== 0) throw new Error('hotworker: a standby pool is handed a bundle only once');
  const bytes = new TextEncoder().encode(JSON.stringify(payload));
  if (bytes.length > MAX_BYTES) throw new Error(`hotworker: worker data too large for a standby handoff (${bytes.length} bytes)`);
  buffer.grow(HEADER_BYTES + bytes.length);
  new Uint8Array(buffer, HEADER_BYTES, bytes.length).set(bytes);
  Atomics.store(header, 1, bytes.length);
  Atomics.store(header, 0, 1);
  Atomics.notify(header, 0);
}

/** The payload once written, else `undefined`. */
export function readHandoff(buffer: SharedArrayBuffer): unknown {
  const header = new Int32Array(buffer, 0, 2);
  if (Atomics.load(header, 0) === 0) return undefined;
  const length = Atomics.load(header, 1);
  // TextDecoder refuses views on shared memory: copy out first.
  const bytes = new Uint8Array(length);
  bytes.set(new Uint8Array(buffer, HEADER_BYTES, length));
  return JSON.parse(new TextDecoder().decode(bytes));
}

/**
 * Resolves with the payload once written. `Atomics.waitAsync` leaves the worker's event loop
 * running (piscina's port keeps the thread alive meanwhile).
 */
export async function awaitHandoff(buffer: SharedArrayBuffer): Promise<unknown> {
  const header = new Int32Array(buffer, 0, 2);
  while (Atomics.load(header, 0) === 0) {
    const wait = Atomics.waitAsync(header, 0, 0);
    if (wait.async) await wait.value;
  }
  return readHandoff(buffer);
}

/** What a standby worker gets as piscina's `workerData` until its handoff. */
export interface StandbyWorkerData {
  readonly handoff: SharedArrayBuffer;
}

/** Sent by a standby worker on `parentPort` once its dispatcher has loaded and it waits for a bundle. */
export interface StandbyReport {
  readonly type: typeof STANDBY_READY;
  readonly threadId: number;
}

export const STANDBY_READY = 'hotworker:standby-ready';

export function isStandbyWorkerData(data: unknown): data is StandbyWorkerData {
  return typeof data === 'object' && data !== null && (data as { handoff?: unknown }).handoff instanceof SharedArrayBuffer;
}
