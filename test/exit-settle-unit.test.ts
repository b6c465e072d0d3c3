// exit-settle.ts against a stand-in for piscina 5's worker record: which tasks of an exiting
// worker are marked as never started, and that the worker leaves placement before its answers
// are handed to piscina (which places queued calls as soon as an answer frees the worker).
import { EventEmitter } from 'node:events';
import type { Piscina } from 'piscina';
import { describe, expect, it } from 'vitest';
import { neverStarted, settleAtExit } from '../dist/src/exit-settle.js';
import { TASK_COUNT_REPORT } from '../dist/src/protocol.js';

const kWorkerData = Symbol('Piscina.kWorkerData');

interface Setup {
  /** Tasks posted to the worker, answers it posted, tasks it still holds, and whether piscina destroyed it. */
  posted: number;
  answered: number;
  held: number;
  destroyed?: boolean;
  /** The dispatcher's count, shared as it loaded; undefined: its report never came. */
  tasksBegun: number | undefined;
  /** What piscina rejects the held tasks with; default: its Error. */
  exitError?: unknown;
  /** How the worker dies: 'exit' (process.exit()) or 'error' (an uncaught exception: 'error', then 'exit'). */
  via?: 'exit' | 'error';
  /** Whether piscina's 'error' handler destroys the worker record (piscina 5 does); default true. */
  destroyAtError?: boolean;
  /** Other messages the pool relays after the worker's count report. */
  laterMessages?: unknown[];
  /** Reshapes the stand-in record before the pool shows it (a piscina other than 5). */
  reshape?: (record: Record<string, unknown>) => void;
}

/** Exits a stand-in worker as piscina would see it; resolves with what a held task was rejected with, and what placement saw while answers were read. */
function exitWorker(setup: Setup) {
  const worker = Object.assign(new EventEmitter(), { threadId: 7 });
  const pool = Object.assign(new EventEmitter(), { threads: [worker] });
  const rejections: unknown[] = [];
  const seenWhileReading: Array<{ usage: number; abortable: boolean }> = [];
  const sharedBuffer = new Int32Array(new SharedArrayBuffer(12));
  sharedBuffer[0] = setup.posted;
  sharedBuffer[1] = setup.answered;
  const taskInfos = new Map<number, { done(error: unknown): void }>();
  for (let id = 0; id < setup.held; id++) taskInfos.set(id, { done: (error) => rejections.push(error) });
  const record = {
    worker,
    destroyed: setup.destroyed ?? false,
    sharedBuffer,
    taskInfos,
    processPendingMessages() {
      seenWhileReading.push({ usage: record.currentUsage(), abortable: record.isRunningAbortableTask() });
    },
    currentUsage: () => taskInfos.size,
    isRunningAbortableTask: () => false,
  };
  setup.reshape?.(record as unknown as Record<string, unknown>);
  settleAtExit(pool as unknown as Piscina);
  pool.emit('workerCreate', { [kWorkerData]: record });
  if (setup.tasksBegun !== undefined) {
    const tasksBegun = new Int32Array(new SharedArrayBuffer(4));
    pool.emit('message', { type: TASK_COUNT_REPORT, threadId: 7, tasksBegun });
    // The worker goes on counting after its report: the count is read at its death.
    tasksBegun[0] = setup.tasksBegun;
  }
  for (const message of setup.laterMessages ?? []) pool.emit('message', message);
  // piscina's own 'error' and 'exit' handlers, added before hotworker's: each rejects what the
  // worker holds, and 'error' destroys the worker record.
  const exitError = 'exitError' in setup ? setup.exitError : new Error('worker exited with code: 3');
  const rejectHeld = () => {
    for (const task of taskInfos.values()) task.done(exitError);
    taskInfos.clear();
  };
  worker.on('error', () => {
    rejectHeld();
    record.destroyed = setup.destroyAtError ?? true;
  });
  worker.on('exit', rejectHeld);
  if (setup.via === 'error') worker.emit('error', new Error('boom'));
  // As Node's Worker does once the thread is gone.
  worker.threadId = -1;
  worker.emit('exit', 3);
  return { rejections, seenWhileReading, record, worker };
}

describe('settling an exiting worker’s tasks', () => {
  it('a task the dispatcher never began is marked: every answer read, none begun unanswered', () => {
    const { rejections } = exitWorker({ posted: 3, answered: 2, held: 1, tasksBegun: 2 });
    expect(rejections).toHaveLength(1);
    expect(neverStarted(rejections[0])).toBe(true);
  });

  it('other workers’ counts and other messages change nothing: the task is still marked, and no listener is left', () => {
    const { rejections, worker } = exitWorker({
      posted: 3,
      answered: 2,
      held: 1,
      tasksBegun: 2,
      laterMessages: [
        { type: TASK_COUNT_REPORT, threadId: 8, tasksBegun: new Int32Array(1) },
        { type: 'hotworker:load', threadId: 7, tasksBegun: new Int32Array(1) },
        { threadId: 7, tasksBegun: new Int32Array(1) },
      ],
    });
    expect(neverStarted(rejections[0])).toBe(true);
    // piscina's own stay; hotworker's are gone.
    expect(worker.listenerCount('error')).toBe(1);
    expect(worker.listenerCount('exit')).toBe(1);
  });

  it.each([
    ['not shared memory', [2]],
    ['empty', new Int32Array(0)],
  ])('a count report whose count is %s is ignored', (_what, tasksBegun) => {
    const { rejections } = exitWorker({
      posted: 1,
      answered: 0,
      held: 1,
      tasksBegun: undefined,
      laterMessages: [{ type: TASK_COUNT_REPORT, threadId: 7, tasksBegun }],
    });
    expect(neverStarted(rejections[0])).toBe(false);
  });

  it.each(['gone', null])('a rejection that is not an object (%s) is passed on as it is, unmarked', (exitError) => {
    const { rejections } = exitWorker({ posted: 1, answered: 0, held: 1, tasksBegun: 0, exitError });
    expect(rejections).toEqual([exitError]);
    expect(neverStarted(exitError)).toBe(false);
  });

  it('an uncaught exception: the task is marked at the worker’s error, which piscina settles first; read once', () => {
    const { rejections, seenWhileReading, worker } = exitWorker({ posted: 3, answered: 2, held: 1, tasksBegun: 2, via: 'error' });
    expect(rejections).toHaveLength(1);
    expect(neverStarted(rejections[0])).toBe(true);
    expect(seenWhileReading).toHaveLength(1);
    expect(worker.listenerCount('error')).toBe(1);
    expect(worker.listenerCount('exit')).toBe(1);
  });

  it('a worker still standing after its error (a piscina that did not destroy it) is settled once, not again at its exit', () => {
    const { seenWhileReading } = exitWorker({ posted: 1, answered: 1, held: 0, tasksBegun: 1, via: 'error', destroyAtError: false });
    expect(seenWhileReading).toHaveLength(1);
  });

  it('a task the dispatcher began is not marked', () => {
    const { rejections } = exitWorker({ posted: 3, answered: 2, held: 1, tasksBegun: 3 });
    expect(rejections).toHaveLength(1);
    expect(neverStarted(rejections[0])).toBe(false);
  });

  it('while an answer the worker posted is still unread, nothing is marked', () => {
    // Posted 3, holds 2 (one answered but unread): the held tasks are not all unbegun.
    const { rejections } = exitWorker({ posted: 3, answered: 2, held: 2, tasksBegun: 2 });
    expect(rejections.map(neverStarted)).toEqual([false, false]);
  });

  it('without a count report, nothing is marked', () => {
    const { rejections } = exitWorker({ posted: 1, answered: 0, held: 1, tasksBegun: undefined });
    expect(neverStarted(rejections[0])).toBe(false);
  });

  it('the worker is out of placement before its answers are read', () => {
    const { seenWhileReading, record } = exitWorker({ posted: 1, answered: 1, held: 0, tasksBegun: 1 });
    expect(seenWhileReading).toEqual([{ usage: Number.POSITIVE_INFINITY, abortable: true }]);
    expect(record.currentUsage()).toBe(Number.POSITIVE_INFINITY);
  });

  it('a worker piscina destroyed itself is left to piscina: nothing read, nothing marked', () => {
    const { seenWhileReading, rejections } = exitWorker({ posted: 1, answered: 0, held: 1, tasksBegun: 0, destroyed: true });
    expect(seenWhileReading).toEqual([]);
    expect(neverStarted(rejections[0])).toBe(false);
  });

  it.each([
    ['worker', (record: Record<string, unknown>) => delete record.worker],
    ['destroyed', (record: Record<string, unknown>) => delete record.destroyed],
    ['sharedBuffer', (record: Record<string, unknown>) => delete record.sharedBuffer],
    ['a sharedBuffer too short', (record: Record<string, unknown>) => (record.sharedBuffer = new Int32Array(1))],
    ['taskInfos', (record: Record<string, unknown>) => delete record.taskInfos],
    ['processPendingMessages', (record: Record<string, unknown>) => delete record.processPendingMessages],
    ['currentUsage', (record: Record<string, unknown>) => delete record.currentUsage],
    ['isRunningAbortableTask', (record: Record<string, unknown>) => delete record.isRunningAbortableTask],
  ])('a worker record without %s (a piscina shaped otherwise) is left as it is', (_missing, reshape) => {
    const { rejections, seenWhileReading, record } = exitWorker({ posted: 1, answered: 0, held: 1, tasksBegun: 0, reshape });
    expect(seenWhileReading).toEqual([]);
    expect(Object.hasOwn(record, 'currentUsage') && record.currentUsage() === Number.POSITIVE_INFINITY).toBe(false);
    expect(neverStarted(rejections[0])).toBe(false);
  });

  it('a view without a worker record behind it is passed by', () => {
    const pool = new EventEmitter();
    settleAtExit(pool as unknown as Piscina);
    expect(() => pool.emit('workerCreate', {})).not.toThrow();
    expect(() => pool.emit('workerCreate', { [kWorkerData]: 'not a record' })).not.toThrow();
  });

  it('only piscina’s rejections are marked: other values are never started', () => {
    expect(neverStarted(new Error('worker exited with code: 3'))).toBe(false);
    expect(neverStarted(undefined)).toBe(false);
    expect(neverStarted('worker exited')).toBe(false);
  });
});
