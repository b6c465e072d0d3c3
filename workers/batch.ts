/**
 * Runs a batch of calls in a worker (src/coalesce.ts): the function once per call, in order,
 * one at a time (an async function's promise is awaited before the next call begins), each
 * call's result or failure kept apart, as if each had come as a task of its own.
 *
 * Before each call the batch's shared count of calls begun is raised, so that the host knows,
 * should the thread die, which calls never began (it sends those again). The batch in progress
 * is also kept here for the worker's exit report ({@link batchSalvage}): when a call ends the
 * thread (`process.exit()`, an uncaught exception), the calls before it still get their answers.
 */
import { BATCH_OUTCOME, type BatchOutcome, type BatchSalvage, type CallBatch, type Fault } from '../src/protocol.js';
import { checkResult, userFault } from './outcome.js';

type Exported = (...args: unknown[]) => unknown;

interface Running {
  readonly id: number;
  readonly values: unknown[];
  readonly failures: [number, Fault][];
  /** Calls answered so far, from the first. */
  finished: number;
  readonly started: number;
}

/** The batch this thread is running, for its exit report; one at a time (piscina gives a worker one task at a time). */
let running: Running | undefined;

/** Resolves with a {@link BatchOutcome}; never throws for a call's own failure. */
export function runBatch(fn: Exported, calls: readonly (readonly unknown[])[], batch: CallBatch): unknown {
  const state: Running = { id: batch.id, values: new Array<unknown>(calls.length), failures: [], finished: 0, started: performance.now() };
  running = state;
  for (let i = 0; i < calls.length; i++) {
    Atomics.store(batch.begun, 0, i + 1);
    let result: unknown;
    try {
      result = fn(...(calls[i] as readonly unknown[]));
    } catch (error) {
      fail(state, i, userFault(error));
      continue;
    }
    if (result instanceof Promise) return finishAsync(fn, calls, batch, state, i, result);
    store(state, i, result);
  }
  return done(state);
}

async function finishAsync(
  fn: Exported,
  calls: readonly (readonly unknown[])[],
  batch: CallBatch,
  state: Running,
  from: number,
  pending: Promise<unknown>,
): Promise<BatchOutcome> {
  for (let i = from; i < calls.length; i++) {
    let result: unknown;
    try {
      if (i > from) Atomics.store(batch.begun, 0, i + 1);
      result = await (i === from ? pending : fn(...(calls[i] as readonly unknown[])));
    } catch (error) {
      fail(state, i, userFault(error));
      continue;
    }
    store(state, i, result);
  }
  return done(state);
}

function store(state: Running, i: number, result: unknown): void {
  try {
    state.values[i] = checkResult(result);
    state.finished = i + 1;
  } catch (fault) {
    fail(state, i, fault as Fault);
  }
}

function fail(state: Running, i: number, fault: Fault): void {
  state.failures.push([i, fault]);
  state.finished = i + 1;
}

function done(state: Running): BatchOutcome {
  if (running === state) running = undefined;
  return {
    kind: BATCH_OUTCOME,
    values: state.values,
    failures: state.failures.length === 0 ? undefined : state.failures,
    ms: performance.now() - state.started,
  };
}

/** What the batch in progress has answered, for the exit report of a thread dying during it. */
export function batchSalvage(): BatchSalvage | undefined {
  if (running === undefined) return undefined;
  const { id, values, failures, finished } = running;
  return { id, finished, values: values.slice(0, finished), failures: failures.length === 0 ? undefined : failures };
}
