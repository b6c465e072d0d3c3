/**
 * The handoff of a bundle to standby workers: booted threads, waiting with their dispatcher
 * loaded, that have never run user code. piscina owns `parentPort` (a message there is taken
 * as its start message), so the bundle travels through a growable `SharedArrayBuffer` passed
 * in `workerData` instead. It is written once; a worker that starts later (a respawn after a
 * crash, growth towards `maxThreads`) reads it at boot, so every thread of the pool runs the
 * same version and no thread ever runs two.
 *
 * Layout: Int32 [0] state (0 waiting, 1 written), Int32 [1] byte length of the JSON, then the
 * UTF-8 JSON, then the bytes of every `SharedArrayBuffer` field of the payload (the bundle's
 * source, say), which the worker copies back into a `SharedArrayBuffer` of its own.
 * Nothing here may import main-thread code: the worker imports this file too.
 */

const HEADER_BYTES = 8;
/**
 * Address space reserved per standby pool (growable buffers reserve, they do not commit): room
 * for a large bundle. A payload over it is not handed off; the upgrade boots a fresh pool.
 */
const MAX_BYTES = 256 * 1024 * 1024;

/** A flat object; its `SharedArrayBuffer` fields travel as bytes, everything else as JSON. */
type Payload = object;

interface Encoded {
  readonly data: Record<string, unknown>;
  /** Field name → [offset, length] of its bytes after the JSON. */
  readonly binary: Record<string, [number, number]>;
}

/** A fresh, empty handoff buffer for one standby pool. */
export function createHandoff(): SharedArrayBuffer {
  // Growable: the payload's size is only known at the handoff.
  return new SharedArrayBuffer(HEADER_BYTES, { maxByteLength: HEADER_BYTES + MAX_BYTES });
}

/**
 * Writes `payload` and wakes every waiting worker. Returns false, writing nothing, when it is
 * too large. Throws when the buffer was already written: a standby pool gets one version, once.
 */
export function writeHandoff(buffer: SharedArrayBuffer, payload: Payload): boolean {
  const header = new Int32Array(buffer, 0, 2);
  if (Atomics.load(header, 0) !== 0) throw new Error('hotworker: a standby pool is handed a bundle only once');
  const data: Record<string, unknown> = {};
  const binary: Record<string, [number, number]> = {};
  const blobs: SharedArrayBuffer[] = [];
  let offset = 0;
  for (const [key, value] of Object.entries(payload as Record<string, unknown>)) {
    if (value instanceof SharedArrayBuffer) {
      binary[key] = [offset, value.byteLength];
      blobs.push(value);
      offset += value.byteLength;
    } else {
      data[key] = value;
    }
  }
  const json = new TextEncoder().encode(JSON.stringify({ data, binary } satisfies Encoded));
  const total = json.length + offset;
  if (total > MAX_BYTES) return false;
  buffer.grow(HEADER_BYTES + total);
  new Uint8Array(buffer, HEADER_BYTES, json.length).set(json);
  let at = HEADER_BYTES + json.length;
  for (const blob of blobs) {
    new Uint8Array(buffer, at, blob.byteLength).set(new Uint8Array(blob));
    at += blob.byteLength;
  }
  Atomics.store(header, 1, json.length);
  Atomics.store(header, 0, 1);
  Atomics.notify(header, 0);
  return true;
}

/** The payload once written, else `undefined`. */
export function readHandoff(buffer: SharedArrayBuffer): Record<string, unknown> | undefined {
  const header = new Int32Array(buffer, 0, 2);
  if (Atomics.load(header, 0) === 0) return undefined;
  const length = Atomics.load(header, 1);
  // TextDecoder refuses views on shared memory: copy out first.
  const json = new Uint8Array(length);
  json.set(new Uint8Array(buffer, HEADER_BYTES, length));
  const { data, binary } = JSON.parse(new TextDecoder().decode(json)) as Encoded;
  const start = HEADER_BYTES + length;
  for (const [key, [offset, size]] of Object.entries(binary)) {
    const copy = new SharedArrayBuffer(size);
    new Uint8Array(copy).set(new Uint8Array(buffer, start + offset, size));
    data[key] = copy;
  }
  return data;
}

/**
 * Resolves with the payload once written. `Atomics.waitAsync` leaves the worker's event loop
 * running (piscina's port keeps the thread alive meanwhile).
 */
export async function awaitHandoff(buffer: SharedArrayBuffer): Promise<Record<string, unknown>> {
  const header = new Int32Array(buffer, 0, 2);
  while (Atomics.load(header, 0) === 0) {
    const wait = Atomics.waitAsync(header, 0, 0);
    if (wait.async) await wait.value;
  }
  return readHandoff(buffer) as Record<string, unknown>;
}

/** What a standby worker gets as piscina's `workerData` until its handoff. */
export interface StandbyWorkerData {
  readonly handoff: SharedArrayBuffer;
  /** Set for `atomics: 'auto'`: the worker watches its idle wait (workers/idle-turn.ts). */
  readonly idleTurn?: boolean;
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
