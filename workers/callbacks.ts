/**
 * The worker's half of a call's callbacks: an async stand-in at each place the host took a
 * function from, calling it through comlink on the call's own port. Once the call settles the
 * port is closed and a stand-in called later rejects `ERR_HOT_CALLBACK_SETTLED`.
 */
import { wrap } from 'comlink';
import type { CallbackSpec } from '../src/channels.js';
import { HotError } from '../src/errors.js';

type Callback = (...args: unknown[]) => Promise<unknown>;

/** A call's arguments with the stand-ins in place, and how to close their channel. */
export interface RevivedCallbacks {
  readonly args: unknown[];
  /** Ends the channel: later calls of a stand-in reject. Idempotent. */
  readonly close: () => void;
}

export function reviveCallbacks(fn: string, args: readonly unknown[], spec: CallbackSpec): RevivedCallbacks {
  const remote = wrap<Callback[]>(spec.port as unknown as Parameters<typeof wrap>[0]);
  let open = true;
  const revived = [...args];
  spec.at.forEach(([index, key], position) => {
    // One comlink proxy per callback, held by its stand-in for as long as the stand-in lives:
    // a proxy collected mid-call leaves that call hanging (comlink#692).
    const target = remote[position] as unknown as Callback;
    const label = key === undefined ? `args[${index}]` : `args[${index}].${key}`;
    const standIn: Callback = (...callArgs) => {
      const result = open
        ? target(...callArgs)
        : Promise.reject(
            new HotError(
              'ERR_HOT_CALLBACK_SETTLED',
              `The callback ${label} of ${fn}() was called after that call settled; the caller no longer listens. Await callbacks before returning.`,
              { fn },
            ),
          );
      // Marked handled here, still rejecting whoever awaits it: a late progress report someone
      // fired and forgot must not crash the worker with an unhandled rejection.
      result.catch(ignore);
      return result;
    };
    if (key === undefined) revived[index] = standIn;
    else revived[index] = { ...(revived[index] as Record<string, unknown>), [key]: standIn };
  });
  return {
    args: revived,
    close: () => {
      if (!open) return;
      open = false;
      // Unref'd first: a port still closing is no work the idle worker must turn its loop for (idle-turn.ts).
      spec.port.unref();
      spec.port.close();
    },
  };
}

function ignore(): void {}
