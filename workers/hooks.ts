/**
 * The worker half of a version's hooks (`hotSetup`, `hotExport`, `hotImport`, `hotDispose`):
 * kept apart from the module's callable functions, and run only when the host asks.
 */
import { threadId } from 'node:worker_threads';
import {
  type CallTask,
  type EveryWorker,
  FAULT,
  type Fault,
  findUncloneable,
  HOOK_TASK,
  type HookName,
  isHook,
  serializeError,
} from '../src/protocol.js';

type Hook = (...args: unknown[]) => unknown;

const hooks = new Map<HookName, Hook>();

/** Keeps `value` if `name` is a hook; returns whether it was one (then it is never callable). */
export function takeHook(name: string, value: unknown): boolean {
  if (!isHook(name)) return false;
  if (typeof value === 'function') hooks.set(name, value as Hook);
  return true;
}

/** Runs `hotSetup()` if the module has one; a throw fails this worker's load. */
export async function runSetup(): Promise<void> {
  const setup = hooks.get('hotSetup');
  if (setup === undefined) return;
  try {
    await setup();
  } catch (error) {
    throw new Error(`hotSetup() failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
  }
}

export function isHookTask(task: CallTask): boolean {
  return task.fn === HOOK_TASK.export || task.fn === HOOK_TASK.import || task.fn === HOOK_TASK.dispose;
}

/** Runs one hook task. A hook's throw reaches the host as a `user` fault. */
export async function runHookTask(task: CallTask): Promise<unknown> {
  switch (task.fn) {
    case HOOK_TASK.export: {
      const state = await call('hotExport', []);
      const found = findUncloneable(state, 'state');
      if (found !== undefined) {
        throw userFault(new TypeError(`hotExport() returned a value that cannot cross threads: ${found.path} is a ${found.what}`));
      }
      return state;
    }
    case HOOK_TASK.import: {
      const [state, from, every] = task.args as [unknown, unknown, EveryWorker];
      await arrive(every);
      await call('hotImport', [state, from]);
      return threadId;
    }
    default: {
      const [every] = task.args as [EveryWorker];
      await arrive(every);
      await call('hotDispose', []);
      return threadId;
    }
  }
}

async function call(name: HookName, args: unknown[]): Promise<unknown> {
  const hook = hooks.get(name);
  if (hook === undefined) return undefined;
  try {
    return await hook(...args);
  } catch (error) {
    throw userFault(error);
  }
}

/**
 * Waits until every worker of the pool holds one of these tasks. A worker runs one task at a
 * time, so none can take two; the wait is async, so the worker's event loop keeps running.
 */
async function arrive({ barrier, workers }: EveryWorker): Promise<void> {
  const count = new Int32Array(barrier);
  let arrived = Atomics.add(count, 0, 1) + 1;
  if (arrived >= workers) {
    Atomics.notify(count, 0);
    return;
  }
  while (arrived < workers) {
    const wait = Atomics.waitAsync(count, 0, arrived);
    if (wait.async) await wait.value;
    arrived = Atomics.load(count, 0);
  }
}

function userFault(error: unknown): Fault {
  return { [FAULT]: 'user', error: serializeError(error) };
}
