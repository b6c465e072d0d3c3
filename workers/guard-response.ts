/**
 * piscina posts each task's response on its own MessagePort; when structured clone refuses
 * the result (a Proxy, a host object like `Intl.Collator`, a getter that throws, nesting too
 * deep for the serializer), that postMessage throws and piscina rethrows it in a microtask,
 * which kills the worker and fails the call as a worker death. No walk of the result can
 * foresee every such value, so the failure is caught where cloning happens: the response is
 * posted again with a fault in place of what would not clone. The normal path pays one
 * wrapper call and nothing else.
 */
import { MessagePort } from 'node:worker_threads';
import { locateCloneFailure } from '../src/clone.js';
import { type BatchOutcome, FAULT, type Fault, isBatchOutcome, isFault, serializeError } from '../src/protocol.js';

/** The shape of piscina's task response (piscina/dist/worker.js `onMessage`). */
interface Response {
  readonly taskId: number;
  readonly result: unknown;
  readonly error: unknown;
  readonly time: number | null;
}

let installed = false;

/** Installs the guard in this worker thread, once. Messages that are not piscina responses keep their own errors. */
export function guardResponses(): void {
  if (installed) return;
  installed = true;
  const post = MessagePort.prototype.postMessage;
  MessagePort.prototype.postMessage = function guardedPostMessage(this: MessagePort, message: unknown, transfer?: never) {
    try {
      return post.call(this, message, transfer);
    } catch (error) {
      if (!isResponse(message)) throw error;
      // A batch's answer: only the calls whose results would not clone fail, each on its own.
      if (isBatchOutcome(message.result)) return post.call(this, { ...message, result: withoutUncloneable(message.result) });
      return post.call(this, { ...message, result: null, error: replacement(message, error) });
    }
  } as typeof post;
}

function isResponse(message: unknown): message is Response {
  return (
    typeof message === 'object' &&
    message !== null &&
    typeof (message as Response).taskId === 'number' &&
    'result' in message &&
    'error' in message
  );
}

/** The batch's outcome with each result that would not clone moved to its failures, as a clone fault. */
function withoutUncloneable(outcome: BatchOutcome): BatchOutcome {
  const values = [...outcome.values];
  const failures: [number, Fault][] = [...(outcome.failures ?? [])];
  values.forEach((value, i) => {
    const found = locateCloneFailure(value, 'result');
    if (found === undefined) return;
    values[i] = undefined;
    failures.push([i, { [FAULT]: 'clone', path: found.path, what: found.what, cause: serializeError(found.cause) }]);
  });
  return { ...outcome, values, failures: failures.length === 0 ? undefined : failures };
}

/** A cloneable fault for what failed to post: the result, or a user error with uncloneable props. */
function replacement(message: Response, error: unknown): Fault {
  if (message.error !== null && message.error !== undefined) {
    // Our faults are plain data; only a user error's own props can defeat the clone: drop them.
    if (isFault(message.error) && message.error[FAULT] === 'user') {
      const { name, message: text, stack } = message.error.error;
      return { [FAULT]: 'user', error: { name, message: text, stack, props: {} } };
    }
    return { [FAULT]: 'user', error: serializeError(error) };
  }
  const found = locateCloneFailure(message.result, 'result');
  return {
    [FAULT]: 'clone',
    path: found?.path ?? 'result',
    what: found?.what ?? `value that cannot be cloned (${(error as Error)?.message ?? String(error)})`,
    cause: serializeError(found?.cause ?? error),
  };
}
