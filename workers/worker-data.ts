/**
 * Inside a worker: the worker data of the version this thread runs. A worker of a fresh pool
 * has it from the start; a standby worker says it is ready, then waits for the handoff
 * (src/handoff.ts). A standby worker that boots after the handoff reads it at once.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { awaitHandoff, isStandbyWorkerData, readHandoff, STANDBY_READY, type StandbyReport } from '../src/handoff.js';
import type { WorkerData } from '../src/protocol.js';

export function versionWorkerData(): Promise<WorkerData> {
  if (!isStandbyWorkerData(workerData)) return Promise.resolve(workerData as unknown as WorkerData);
  const { handoff } = workerData;
  const written = readHandoff(handoff);
  if (written !== undefined) return Promise.resolve(written as unknown as WorkerData);
  // Ready only once the module loader is warm: the bundle's import then takes a third of the
  // time, inside the upgrade. A failed warm-up only leaves that cost where it was.
  return warmModuleLoader().then(() => {
    const arrived = readHandoff(handoff);
    if (arrived !== undefined) return arrived as unknown as WorkerData;
    parentPort?.postMessage({ type: STANDBY_READY, threadId } satisfies StandbyReport);
    return awaitHandoff(handoff) as Promise<unknown> as Promise<WorkerData>;
  });
}

/** Imports an empty ES module file (shipped beside this worker) to set up Node's ESM loader in this thread. */
function warmModuleLoader(): Promise<void> {
  return import(pathToFileURL(join(__dirname, 'esm-warmup.mjs')).href).then(
    () => undefined,
    () => undefined,
  );
}
