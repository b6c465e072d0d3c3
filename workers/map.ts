/**
 * Runs one chunk of a `map()` in a worker: the function once per input, in order, one at a
 * time (an async function's promise is awaited before the next input starts). A plain loop
 * while the function answers synchronously; it switches to awaiting only once a promise
 * comes back, so a trivial function costs a call and a store per input.
 *
 * Before each input the map's shared stop flag is read: once the host has aborted the map, or
 * another chunk has failed it, the rest of this chunk is skipped.
 */
import { type Fault, MAP_STOPPED, type MapChunk, type SettledChunk } from '../src/protocol.js';
import { checkResult, userFault } from './outcome.js';

type Mapped = (input: unknown) => unknown;

/** Resolves with the chunk's results (or, settling, a {@link SettledChunk}); throws the first failure otherwise. */
export function runChunk(fn: Mapped, inputs: readonly unknown[], chunk: MapChunk): unknown {
  const values = new Array<unknown>(inputs.length);
  const failures: [number, Fault][] = [];
  for (let i = 0; i < inputs.length; i++) {
    if (Atomics.load(chunk.stop, 0) !== 0) return MAP_STOPPED;
    let result: unknown;
    try {
      result = fn(inputs[i]);
    } catch (error) {
      fail(chunk, failures, i, userFault(error));
      continue;
    }
    if (result instanceof Promise) return finishAsync(fn, inputs, chunk, values, failures, i, result);
    store(chunk, values, failures, i, result);
  }
  return done(chunk, values, failures);
}

async function finishAsync(
  fn: Mapped,
  inputs: readonly unknown[],
  chunk: MapChunk,
  values: unknown[],
  failures: [number, Fault][],
  from: number,
  pending: Promise<unknown>,
): Promise<unknown> {
  for (let i = from; i < inputs.length; i++) {
    if (i > from && Atomics.load(chunk.stop, 0) !== 0) return MAP_STOPPED;
    let result: unknown;
    try {
      result = await (i === from ? pending : fn(inputs[i]));
    } catch (error) {
      fail(chunk, failures, i, userFault(error));
      continue;
    }
    store(chunk, values, failures, i, result);
  }
  return done(chunk, values, failures);
}

function store(chunk: MapChunk, values: unknown[], failures: [number, Fault][], i: number, result: unknown): void {
  try {
    values[i] = checkResult(result, `results[${chunk.offset + i}]`);
  } catch (fault) {
    fail(chunk, failures, i, fault as Fault);
  }
}

/** Settling, the failure is kept with its index; otherwise it ends the chunk (and the host stops the map). */
function fail(chunk: MapChunk, failures: [number, Fault][], i: number, fault: Fault): void {
  if (!chunk.settle) throw fault;
  failures.push([i, fault]);
}

function done(chunk: MapChunk, values: unknown[], failures: [number, Fault][]): unknown {
  if (!chunk.settle) return values;
  return { values, failures: failures.length === 0 ? undefined : failures } satisfies SettledChunk;
}
