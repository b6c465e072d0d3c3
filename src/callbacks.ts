/**
 * Functions passed to a call: a top-level argument, or a property of a plain-object argument
 * (an options bag like `{ onProgress }`), reach the worker as async stand-ins. Each call that
 * has any gets a channel of its own: the functions are exposed (comlink) on one end, the other
 * end travels with the task, and both close when the call settles, however it settles.
 * A call without functions is not touched: finding none costs a `typeof` per argument.
 */
import { MessageChannel } from 'node:worker_threads';
import { expose } from 'comlink';
import type { CallbackSpec } from './channels.js';

/** A call's callbacks, ready to travel: the arguments without them, and the worker's end of the channel. */
export interface CallbackChannel {
  /** The arguments with every callback replaced by `undefined` (the worker puts its stand-in there). */
  readonly args: unknown[];
  readonly spec: CallbackSpec;
  /** Closes the host's end, which closes the worker's too. Idempotent. */
  readonly close: () => void;
  /**
   * The same functions on a new channel, for a call sent again: the worker the call first
   * went to died with that channel's other end.
   */
  readonly reopen: () => CallbackChannel;
}

type Callback = (...args: unknown[]) => unknown;

/**
 * Finds the callbacks in `args` and opens a channel for them. Returns `undefined`, allocating
 * nothing, when there are none (the common case).
 */
export function openCallbacks(args: readonly unknown[]): CallbackChannel | undefined {
  let functions: Callback[] | undefined;
  let at: Array<readonly [number, string?]> | undefined;
  let copy: unknown[] | undefined;
  for (let index = 0; index < args.length; index++) {
    const arg = args[index];
    if (typeof arg === 'function') {
      functions ??= [];
      at ??= [];
      copy ??= [...args];
      functions.push(arg as Callback);
      at.push([index]);
      copy[index] = undefined;
    } else if (typeof arg === 'object' && arg !== null && isPlainObject(arg)) {
      let bag: Record<string, unknown> | undefined;
      for (const key in arg) {
        const value = (arg as Record<string, unknown>)[key];
        if (typeof value !== 'function') continue;
        functions ??= [];
        at ??= [];
        copy ??= [...args];
        bag ??= { ...(arg as Record<string, unknown>) };
        functions.push(value as Callback);
        at.push([index, key]);
        bag[key] = undefined;
      }
      if (bag !== undefined) (copy as unknown[])[index] = bag;
    }
  }
  if (functions === undefined || at === undefined || copy === undefined) return undefined;
  return exposeOn(functions, at, copy);
}

/** Opens a channel with `functions` exposed on the host's end. */
function exposeOn(functions: Callback[], at: Array<readonly [number, string?]>, copy: unknown[]): CallbackChannel {
  const { port1, port2 } = new MessageChannel();
  expose(functions, port1 as unknown as Parameters<typeof expose>[1]);
  let open = true;
  return {
    args: copy,
    spec: { port: port2, at },
    close: () => {
      if (!open) return;
      open = false;
      // Not comlink's release: 4.4.2 never acknowledges it (see ../shared/NOTES.md). Closing
      // one end closes both, removes the port from the event loop and drops the functions.
      port1.close();
    },
    reopen: () => exposeOn(functions, at, copy),
  };
}

/**
 * Starts a call whose arguments hold callbacks and closes their channel when it settles.
 * The channel (and so the exposed functions) stays strongly referenced until then: a collected
 * comlink endpoint leaves calls hanging (comlink#692). `start` gets `reopen` for a re-send:
 * it closes the channel in use and gives the worker's end of a new one, closed in its turn
 * when the call settles.
 */
export function runWithCallbacks<T>(
  channel: CallbackChannel,
  start: (args: readonly unknown[], callbacks: CallbackSpec, reopen: () => CallbackSpec) => Promise<T>,
): Promise<T> {
  let current = channel;
  const reopen = () => {
    current.close();
    current = current.reopen();
    return current.spec;
  };
  let running: Promise<T>;
  try {
    running = start(channel.args, channel.spec, reopen);
  } catch (error) {
    current.close();
    throw error;
  }
  return running.finally(() => current.close());
}

function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
