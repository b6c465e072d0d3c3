/**
 * Settling exactly the tasks of a worker that dies on its own.
 *
 * piscina sends each worker its tasks, and reads their answers, over a MessageChannel of its
 * own. When a worker thread dies (`process.exit()`, an uncaught exception, out of memory),
 * piscina's `'error'` or `'exit'` handler rejects every task the worker held, answered or not,
 * begun or not: Node delivers what the worker posted on its `parentPort` before those events,
 * but not what waits on other ports. Two losses followed, measured on a 1-thread module whose
 * function answers and then dies in `setImmediate`, with a second call queued behind it:
 *
 * - **An answer posted just before the death**, which the host had not read yet: 6 to 7 calls
 *   in 50 rejected `ERR_HOT_WORKER_EXIT` although they had answered.
 * - **A task sent to a worker about to die, that never reached it.** The queued call was handed
 *   to the worker as soon as the first answer was read, and failed with the death although no
 *   code of it ever ran: 15 to 21 calls in 50 after `process.exit()`, 75 in 100 after an exception.
 *
 * {@link settleAtExit} puts a listener ahead of piscina's, on `'error'` (first when the thread
 * dies of an exception or out of memory) and on `'exit'`. It takes the worker out of placement
 * (a call freed up by one of those answers then goes to a live worker) and reads every answer
 * left on its port. Then it compares three counts: the tasks the worker's dispatcher began (in
 * memory it shared as it loaded), the answers the worker posted, and the tasks posted
 * to it less those it still holds (the answers the host read). When all three are equal, the
 * task it still holds never reached the dispatcher, and piscina's rejection of it is marked
 * {@link neverStarted}, so that the host can send it again. A worker piscina ended itself
 * (`destroy`, an aborted call), or one whose count never came, is left to piscina.
 */
import type { Worker } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import { workerOf } from './piscina-views.js';
import { isTaskCountReport } from './protocol.js';

/** What this module uses of piscina 5's `WorkerInfo`; checked at run time, never assumed. */
interface WorkerRecord {
  readonly worker: Worker;
  readonly destroyed: boolean;
  readonly sharedBuffer: Int32Array;
  readonly taskInfos: Map<unknown, TaskRecord>;
  processPendingMessages(): void;
  currentUsage(): number;
  isRunningAbortableTask(): boolean;
}

/** What this module uses of piscina 5's `TaskInfo`. */
interface TaskRecord {
  done(error: unknown, result?: unknown): void;
}

/** Where piscina counts the tasks it posted to a worker, in `sharedBuffer` (`kRequestCountField`). */
const TASKS_POSTED = 0;
/** Where piscina's worker counts the answers it posted, in `sharedBuffer` (`kResponseCountField`). */
const ANSWERS_POSTED = 1;

/** Rejections of tasks that were sent to a worker which exited before the task reached its code. */
const unstarted = new WeakSet<object>();

/**
 * True when `error` is piscina's rejection of a task whose worker exited before the task
 * reached the dispatcher: no code of it ran, so sending it again cannot run anything twice.
 */
export function neverStarted(error: unknown): boolean {
  // A WeakSet holds no primitive, and answers false for one.
  return unstarted.has(error as object);
}

/** From now on, each worker `pool` starts has its tasks settled exactly when it exits. Call before the pool runs a task. */
export function settleAtExit(pool: Piscina): void {
  // Per thread id: where each worker counts the tasks it began, shared memory (protocol.ts). An
  // entry leaves at its worker's death; piscina ends a worker before announcing it only when the
  // whole pool is destroyed, and the map goes with the pool.
  const counts = new Map<number, Int32Array>();
  pool.on('message', (message: unknown) => {
    if (isTaskCountReport(message) && message.tasksBegun instanceof Int32Array && message.tasksBegun.length > 0) {
      counts.set(message.threadId, message.tasksBegun);
    }
  });
  pool.on('workerCreate', (view: unknown) => {
    const record = workerOf(view);
    if (!isWorkerRecord(record)) return;
    // Read now: once the thread has exited, Node answers -1.
    const threadId = record.worker.threadId;
    // An uncaught exception reaches piscina as 'error' before the 'exit': it rejects the tasks then.
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      const tasksBegun = counts.get(threadId);
      counts.delete(threadId);
      if (record.destroyed) return;
      closeToTasks(record);
      record.processPendingMessages();
      if (tasksBegun !== undefined && heldTasksNeverBegan(record, Atomics.load(tasksBegun, 0))) {
        for (const task of record.taskInfos.values()) markNeverStarted(task);
      }
    };
    record.worker.prependListener('error', settle);
    record.worker.prependOnceListener('exit', () => {
      record.worker.off('error', settle);
      settle();
    });
  });
}

/**
 * Makes piscina's balancer pass `record` by: a worker running an abortable task is never picked
 * (LeastBusyBalancer), and infinite usage keeps it out of the idle count and of idle-timeout
 * reaping. Own properties shadow the prototype's methods, for this worker only.
 */
function closeToTasks(record: WorkerRecord): void {
  Object.defineProperty(record, 'currentUsage', { value: () => Number.POSITIVE_INFINITY });
  Object.defineProperty(record, 'isRunningAbortableTask', { value: () => true });
}

/**
 * True when each task `record` still holds is one its worker never began: every answer the
 * worker posted has been read (the tasks posted, less those still held, are as many as the
 * answers), and it began no more tasks than it answered.
 */
function heldTasksNeverBegan(record: WorkerRecord, tasksBegun: number): boolean {
  const answers = Atomics.load(record.sharedBuffer, ANSWERS_POSTED);
  return tasksBegun === answers && Atomics.load(record.sharedBuffer, TASKS_POSTED) - record.taskInfos.size === answers;
}

/** piscina settles the task with the worker's exit error next: that rejection is marked. */
function markNeverStarted(task: TaskRecord): void {
  const done = task.done;
  Object.defineProperty(task, 'done', {
    value(error: unknown, result?: unknown) {
      if (typeof error === 'object' && error !== null) unstarted.add(error);
      done.call(task, error, result);
    },
  });
}

function isWorkerRecord(record: object | undefined): record is WorkerRecord {
  if (record === undefined) return false;
  const candidate = record as Partial<Record<keyof WorkerRecord, unknown>>;
  return (
    typeof candidate.processPendingMessages === 'function' &&
    typeof candidate.currentUsage === 'function' &&
    typeof candidate.isRunningAbortableTask === 'function' &&
    typeof candidate.destroyed === 'boolean' &&
    candidate.sharedBuffer instanceof Int32Array &&
    candidate.sharedBuffer.length > ANSWERS_POSTED &&
    candidate.taskInfos instanceof Map &&
    typeof (candidate.worker as Worker | undefined)?.prependOnceListener === 'function'
  );
}
