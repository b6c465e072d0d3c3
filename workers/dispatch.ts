/**
 * Runs inside every worker of a generation: imports the version's bundle once, reports
 * whether it loaded, then runs the named export for each task piscina hands it.
 *
 * The import is never awaited at top level: a module that throws while loading must not fail
 * piscina's own bootstrap (after which it stops respawning workers and leaves later tasks
 * queued forever, see ../shared/NOTES.md). Load failures are reported to the host instead,
 * which never shifts traffic to such a pool.
 *
 * piscina gets the task function only once the import has settled (the default export is a
 * promise of it, which piscina awaits), so that a worker never parks before its module has
 * loaded: with `atomics: 'sync'` an idle worker blocks in `Atomics.wait` and its event loop,
 * which the import needs, stops until a task comes. Tasks sent meanwhile wait in the worker's
 * port, not begun (src/exit-settle.ts sends them again if the worker dies while loading).
 */
import { parentPort, threadId, workerData } from 'node:worker_threads';
import {
  type CallTask,
  EXIT_REPORT,
  type ExitReport,
  FAULT,
  type Fault,
  LOAD_REPORT,
  type LoadReport,
  PING,
  PISCINA_READY,
  type PlainCall,
  serializeError,
  TASK_COUNT_REPORT,
  type TaskCountReport,
} from '../src/protocol.js';
import { batchSalvage, runBatch } from './batch.js';
import { importBundle } from './bundle.js';
import { reviveCallbacks } from './callbacks.js';
import { commonJsNamespace } from './commonjs.js';
import { guardResponses } from './guard-response.js';
import { isHookTask, runHookTask, runSetup, takeHook } from './hooks.js';
import { armIdleWatch, PARK_TASK, PARKED, watchIdleWait } from './idle-turn.js';
import { runChunk } from './map.js';
import { checkResult, rethrowUserFault, userFault } from './outcome.js';
import { isGeneratorFunction, pumpStream } from './stream.js';
import { versionWorkerData } from './worker-data.js';

guardResponses();
// With atomics: 'auto', before piscina adds its task listener (it does once the export below settles).
if ((workerData as { idleTurn?: unknown } | null)?.idleTurn === true) watchIdleWait(__filename);

// Stack traces from the bundle point at the user's own .ts lines (the bundle has an inline map).
process.setSourceMapsEnabled(true);

type Exported = (...args: unknown[]) => unknown;

/** The module's exported plain functions by name; empty until the import settles. */
const functions = new Map<string, Exported>();
/** The exported generator functions by name: what `stream()` runs. */
const generators = new Map<string, Exported>();
let loadFault: Fault | undefined;
/** Every export name, functions or not, hooks left out. */
const exportNames: string[] = [];
/**
 * Slot 0 counts the tasks piscina has handed this dispatcher, before anything of them runs.
 * Shared with the host at once, before piscina says this worker is ready: when the thread dies,
 * the host sends a task it held again only if it never got this far (src/exit-settle.ts).
 */
const tasksBegun = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
parentPort?.postMessage({ type: TASK_COUNT_REPORT, threadId, tasksBegun } satisfies TaskCountReport);

// A standby worker waits in versionWorkerData() for the version it will run (./worker-data.ts).
const loading = versionWorkerData()
  .then(async (data) => {
    const loaded = (await importBundle(data)).namespace;
    const namespace = data.commonjs === true ? commonJsNamespace(loaded) : loaded;
    for (const [name, value] of Object.entries(namespace)) {
      if (takeHook(name, value)) continue;
      exportNames.push(name);
      if (typeof value !== 'function') continue;
      if (isGeneratorFunction(value)) generators.set(name, value as Exported);
      else functions.set(name, value as Exported);
    }
    // The load proof waits for hotSetup(): a worker serves only once it is set up.
    await runSetup();
  })
  .then(
    () => {
      report({
        type: LOAD_REPORT,
        threadId,
        ok: true,
        functions: [...functions.keys(), ...generators.keys()],
        exports: exportNames,
        generators: [...generators.keys()],
      });
    },
    (error: unknown) => {
      // A worker whose hotSetup() failed must not serve what it imported.
      functions.clear();
      generators.clear();
      const serialized = serializeError(error);
      loadFault = { [FAULT]: 'load', error: serialized };
      report({ type: LOAD_REPORT, threadId, ok: false, error: serialized });
    },
  );

function report(message: LoadReport | ExitReport): void {
  parentPort?.postMessage(message);
}

// Tell the host when this thread ends on its own, and why: the host reports it as a crash.
// The monitor only observes; the exception still ends the worker, as Node intends.
let fatal: unknown;
process.on('uncaughtExceptionMonitor', (error) => {
  fatal = error;
});
process.on('exit', (code) => {
  const exit: ExitReport = { type: EXIT_REPORT, threadId, code, error: fatal === undefined ? undefined : serializeError(fatal) };
  try {
    report({ ...exit, batch: batchSalvage() });
  } catch {
    // An answer of the batch that only the post finds uncloneable: report the exit without them.
    report(exit);
  }
});

/** piscina calls this for every task. A thrown {@link Fault} reaches the host as the rejection. */
function dispatch(task: PlainCall | CallTask): unknown {
  if (task === PARK_TASK) return PARKED;
  Atomics.add(tasksBegun, 0, 1);
  return route(task);
}

// Ready for piscina now, as a worker whose task function loads at once would be: a worker that
// exits before piscina counts it ready (a module calling process.exit() while it loads) stops
// piscina from ever replacing a worker of that pool again. The ready message is piscina's own
// (its worker posts it again once the export below settles, which piscina ignores); the
// load-worker-exits test fails if piscina stops reading it.
parentPort?.postMessage({ [PISCINA_READY]: true });

// The import's outcome is recorded above and never rejects this: piscina must always get a function.
export default loading.then(dispatcher, dispatcher);

function dispatcher(): typeof dispatch {
  armIdleWatch();
  return dispatch;
}

function route(task: PlainCall | CallTask): unknown {
  if (isPlainCall(task)) return callPlain(task);
  if (task.fn === PING) return threadId;
  if (isHookTask(task)) return runHookTask(task);
  // A stream runs a generator, which `functions` does not hold; map chunks and batches carry no channels.
  if (task.callbacks !== undefined || task.stream !== undefined) return dispatchWithChannels(task);
  const fn = functions.get(task.fn);
  if (fn === undefined) throw missing(task.fn);
  if (task.map !== undefined) return runChunk(fn, task.args, task.map);
  if (task.batch !== undefined) return runBatch(fn, task.args as readonly (readonly unknown[])[], task.batch);
  return call(fn, task.args);
}

function isPlainCall(task: PlainCall | CallTask): task is PlainCall {
  return Array.isArray(task);
}

/** The common call, `[fn, ...args]`: the arguments are read from the task without copying them for one or two. */
function callPlain(task: PlainCall): unknown {
  const name = task[0];
  const fn = functions.get(name);
  if (fn === undefined) throw missing(name);
  let result: unknown;
  try {
    if (task.length === 2) result = fn(task[1]);
    else if (task.length === 1) result = fn();
    else if (task.length === 3) result = fn(task[1], task[2]);
    else result = fn(...task.slice(1));
  } catch (error) {
    throw userFault(error);
  }
  return settleResult(result);
}

function call(fn: Exported, args: readonly unknown[]): unknown {
  let result: unknown;
  try {
    result = fn(...args);
  } catch (error) {
    throw userFault(error);
  }
  return settleResult(result);
}

/** A result, or a promise of one, proven cloneable; a rejection becomes a user fault. */
function settleResult(result: unknown): unknown {
  if (result instanceof Promise) return result.then(checkResult, rethrowUserFault);
  return checkResult(result);
}

/** Why a task names no function this worker can call: a failed load, a generator, or no such export. */
function missing(name: string): Fault {
  // A generator's values only travel by stream(); call() of one is refused.
  if (generators.has(name)) return { [FAULT]: 'generator' };
  return loadFault ?? { [FAULT]: 'no-export' };
}

/** A call that carries callbacks, or a stream: their channels close when it settles. */
function dispatchWithChannels(task: CallTask): unknown {
  const callbacks = task.callbacks === undefined ? undefined : reviveCallbacks(task.fn, task.args, task.callbacks);
  const args = callbacks === undefined ? task.args : callbacks.args;
  let running: unknown;
  try {
    const fn = (task.stream === undefined ? functions : generators).get(task.fn);
    // The host streams only what this version reported as a generator, and calls the rest.
    if (fn === undefined) throw task.stream === undefined ? missing(task.fn) : (loadFault ?? ({ [FAULT]: 'no-export' } satisfies Fault));
    running = task.stream === undefined ? call(fn, args) : pumpStream(fn as Parameters<typeof pumpStream>[0], args, task.stream);
  } catch (error) {
    callbacks?.close();
    throw error;
  }
  if (callbacks === undefined) return running;
  return Promise.resolve(running).finally(callbacks.close);
}
