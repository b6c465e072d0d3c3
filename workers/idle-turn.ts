/**
 * The `atomics: 'auto'` wait: an idle worker blocks in `Atomics.wait` (piscina's `'sync'`, the
 * fastest wake) for as long as nothing is left for its event loop, and turns that loop from the
 * moment something is.
 *
 * piscina's `'sync'` worker parks in `Atomics.wait` whenever it has no task, so what a call left
 * running (a timer, a socket, a file read) waits until a later task lets the loop turn. Its loop
 * (`atomicsWaitLoop`) ends only while a task is running. So, at the moment piscina is about to
 * block, this module looks at what the thread still has pending
 * (`process.getActiveResourcesInfo()`): when anything beyond the worker's own two ports is there,
 * it hands piscina's task listener one task of its own that never ends. piscina then counts a
 * task running, leaves its wait loop, and from then on hears its tasks by the port's `'message'`
 * events, like `atomics: 'disabled'`: the loop turns whenever the worker is idle, for the rest of
 * the thread's life. Nothing goes back to the host for that task: it has no answer.
 *
 * This reads two things of piscina's worker that are not public: its task listener (a bound
 * function named `onMessage`, which it adds to its port just before its first wait) and the array
 * of that first wait. Both are checked, and pinned by test/atomics-auto.test.ts; should either not
 * be found, the worker tells the host, which warns once (`HOTWORKER_IDLE_UNWATCHED`), and waits as
 * `'sync'` does.
 */
import { MessagePort, parentPort, threadId } from 'node:worker_threads';
import { IDLE_UNWATCHED, type IdleUnwatchedReport } from '../src/protocol.js';

/** The task handed to piscina's listener: the dispatcher answers it with {@link PARKED}. */
export const PARK_TASK: object = Object.freeze({ park: true });
/** Never settles: piscina's count of running tasks stays above zero for the thread's life. */
export const PARKED: Promise<never> = new Promise<never>(() => {});

/** The ports every worker listens on: piscina's init port (`parentPort`) and its task port. */
const OWN_PORTS = 2;

type Listener = (message: unknown) => void;

let listener: Listener | undefined;
let buffer: Int32Array | undefined;
let identifying = false;
let armed = false;

/**
 * Installs the watch before piscina adds its task listener: call while the dispatcher loads.
 * `filename` is the dispatcher's own file, for piscina's handler lookup.
 */
export function watchIdleWait(filename: string): void {
  const owner = ownerOf(MessagePort.prototype, 'on');
  if (owner === undefined) return;
  const on = owner.on as (this: unknown, type: string, fn: Listener) => unknown;
  owner.on = function watchedOn(this: unknown, type: string, fn: Listener): unknown {
    if (type === 'message' && typeof fn === 'function' && fn.name === 'bound onMessage') {
      owner.on = on;
      listener = fn;
      // piscina's first wait comes next, in this same turn: its array is piscina's.
      identifying = true;
      queueMicrotask(() => {
        identifying = false;
      });
    }
    return on.call(this, type, fn);
  };
  const wait = Atomics.wait;
  Atomics.wait = function watchedWait(array: Int32Array, index: number, value: number, timeout?: number) {
    if (identifying) {
      buffer = array;
      identifying = false;
    } else if (buffer === undefined && armed && timeout === undefined) {
      // piscina parks without its listener seen: a piscina shaped otherwise. Tell the host (a
      // warning emitted here would wait in the blocked thread), and leave waits alone from now on.
      Atomics.wait = wait;
      owner.on = on;
      parentPort?.postMessage({ type: IDLE_UNWATCHED, threadId } satisfies IdleUnwatchedReport);
      return wait(array, index, value, timeout);
    }
    // Only a wait that would block: one that returns at once (a task already posted) is no idle time.
    if (array === buffer && Atomics.load(array, index) === value && leftPending()) {
      Atomics.wait = wait;
      listener?.({ taskId: -1, task: PARK_TASK, filename, name: 'default' });
      return 'not-equal';
    }
    return wait(array, index, value, timeout);
  } as typeof Atomics.wait;
}

/** Called as piscina gets the task function: its first wait comes next. */
export function armIdleWatch(): void {
  armed = true;
}

/**
 * Whether the thread holds anything that needs its event loop to turn: a ref'd timer or
 * immediate, a request in flight, a socket, a port of the module's own (any port beyond the
 * two every worker listens on). A handle being closed (`CloseReq`) needs nothing more; the
 * dispatcher unrefs the channels it closes (callbacks.ts, stream.ts), and a write to stdout has
 * been acknowledged by then (piscina waits for the drain before it answers).
 */
function leftPending(): boolean {
  let ports = 0;
  for (const kind of process.getActiveResourcesInfo()) {
    if (kind === 'CloseReq') continue;
    if (kind !== 'MessagePort') return true;
    ports += 1;
  }
  return ports > OWN_PORTS;
}

function ownerOf(object: object, key: string): Record<string, unknown> | undefined {
  for (let o: object | null = object; o !== null; o = Object.getPrototypeOf(o)) {
    if (Object.hasOwn(o, key)) return o as Record<string, unknown>;
  }
  return undefined;
}
