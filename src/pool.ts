/**
 * How hotworker configures a piscina pool: one place, shared by a fresh generation's pool and
 * a standby pool, so a standby pool is exactly the pool a fresh start would have made.
 */
import type { ResourceLimits } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { settleAtExit } from './exit-settle.js';
import type { StandbyWorkerData } from './handoff.js';
import { keepWorkerViews } from './piscina-views.js';
import { trackLeavingWorkers } from './pool-end.js';
import { isIdleUnwatchedReport, type WorkerData } from './protocol.js';
import { trackPlacement } from './task-placement.js';

/** The settings a pool is made from. */
export interface PoolSettings {
  readonly minThreads: number;
  readonly maxThreads: number;
  readonly resourceLimits: ResourceLimits | undefined;
  /** How an idle worker waits: the module option `atomics` (`'auto'` runs piscina's `'sync'` with the idle watch on). */
  readonly atomics: 'auto' | 'async' | 'sync';
}

/**
 * The worker entry, bundled as CommonJS by the build (protocol included). piscina loads a task
 * file with require() first; on Node 20.19+ require() of an ES module goes through a facade that
 * has aborted the whole process (an assertion in ModuleWrap::CreateRequiredModuleFacade, seen
 * under load in our suite). A CommonJS entry never takes that path.
 */
const dispatchFile = new URL('../workers/dispatch.cjs', import.meta.url).href;

/**
 * Piscina needs a non-zero idle timeout or workers above `minThreads` are ended as soon as
 * they go idle, and respawned under the next burst.
 */
const IDLE_TIMEOUT_MS = 10_000;

export function createPool(settings: PoolSettings, workerData: WorkerData | StandbyWorkerData): Piscina {
  const pool = new Piscina({
    filename: dispatchFile,
    workerData: settings.atomics === 'auto' ? { ...workerData, idleTurn: true } : workerData,
    minThreads: settings.minThreads,
    maxThreads: settings.maxThreads,
    idleTimeout: IDLE_TIMEOUT_MS,
    maxQueue: Number.POSITIVE_INFINITY,
    concurrentTasksPerWorker: 1,
    // 'auto', the default, is piscina's 'sync' (an idle worker blocks in Atomics.wait, the
    // fastest wake) with each worker watching its own wait: once a call or the load leaves work
    // for the event loop, that worker keeps its loop turning while idle (workers/idle-turn.ts,
    // told to by the worker data), so a timer a task left behind fires while the worker is idle,
    // never inside the next, unrelated task. 'async' always keeps the loop turning
    // (Atomics.waitAsync); 'sync' never does. 'disabled' would also keep it turning, but turns
    // off piscina's synchronous read of finished answers on the main thread: measured through
    // node:http at 32 connections, it answered 0.77x the requests of piscina's defaults.
    atomics: settings.atomics === 'auto' ? 'sync' : settings.atomics,
    ...(settings.resourceLimits ? { resourceLimits: settings.resourceLimits } : {}),
  });
  // Before the first worker's workerCreate (a microtask away): each keeps its balancer view.
  keepWorkerViews(pool);
  // So that a worker exiting on its own loses neither an answer it posted nor a task it never began.
  settleAtExit(pool);
  // So that ending it (pool-end.ts) also waits for workers it removed that are still exiting.
  trackLeavingWorkers(pool);
  // So that serve can tell a queued call from a running one when its client goes away.
  trackPlacement(pool);
  // So that a worker whose idle watch failed (atomics: 'auto', workers/idle-turn.ts) is heard.
  pool.on('message', warnIfUnwatched);
  return pool;
}

/** The warning a worker's failed idle watch (workers/idle-turn.ts) raises, once per process. */
const IDLE_UNWATCHED_WARNING =
  "hotworker could not watch a piscina worker's wait (atomics: 'auto'; this piscina is shaped otherwise than the one hotworker was tested with): work a call leaves running waits for that worker's next call. Set the module option atomics: 'async' to keep it running while workers are idle.";

let warnedUnwatched = false;

function warnIfUnwatched(message: unknown): void {
  if (warnedUnwatched || !isIdleUnwatchedReport(message)) return;
  warnedUnwatched = true;
  process.emitWarning(IDLE_UNWATCHED_WARNING, { code: 'HOTWORKER_IDLE_UNWATCHED' });
}
