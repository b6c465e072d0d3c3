/**
 * Inside a worker: the worker data of the version this thread runs. A worker of a fresh pool
 * has it from the start; a standby worker says it is ready, then waits for the handoff
 * (src/handoff.ts). A standby worker that boots after the handoff reads it at once.
 */
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { awaitHandoff, isStandbyWorkerData, readHandoff, STANDBY_READY, type StandbyReport } from '../src/handoff.js';
import type { WorkerData } from '../src/protocol.js';

export function versionWorkerData(): Promise<WorkerData> {
  if (!isStandbyWorkerData(workerData)) return Promise.resolve(workerData as unknown as WorkerData);
  const written = readHandoff(workerData.handoff);
  if (written !== undefined) return Promise.resolve(written as unknown as WorkerData);
  parentPort?.postMessage({ type: STANDBY_READY, threadId } satisfies StandbyReport);
  return awaitHandoff(workerData.handoff) as Promise<unknown> as Promise<WorkerData>;
}
