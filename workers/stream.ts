/**
 * The worker's half of a stream: runs an exported generator and sends what it yields on the
 * stream's port, at most the credit the host granted ahead (back-pressure), and stops it
 * (its `finally` runs) when the consumer stops. The task settles once the generator is done;
 * the last message on the port says how it ended.
 */
import type { MessagePort } from 'node:worker_threads';
import { STREAM_WINDOW, type StreamControl, type StreamMessage } from '../src/channels.js';
import { findUncloneable, serializeError } from '../src/protocol.js';

type GeneratorFunction = (...args: unknown[]) => Iterator<unknown> | AsyncIterator<unknown>;

/** True for `function*` and `async function*` (what esbuild emits for node20 keeps them native). */
export function isGeneratorFunction(value: unknown): boolean {
  const tag = Object.prototype.toString.call(value);
  return tag === '[object AsyncGeneratorFunction]' || tag === '[object GeneratorFunction]';
}

export async function pumpStream(generator: GeneratorFunction, args: readonly unknown[], port: MessagePort): Promise<void> {
  let credit = STREAM_WINDOW;
  let stopped = false;
  let wake: (() => void) | undefined;
  const onControl = (control: StreamControl) => {
    if (control.type === 'pull') credit += control.credit;
    else stopped = true;
    wake?.();
  };
  port.on('message', onControl);
  const send = (message: StreamMessage) => port.postMessage(message);
  let iterator: Iterator<unknown> | AsyncIterator<unknown> | undefined;
  try {
    iterator = generator(...args);
    for (;;) {
      while (credit === 0 && !stopped) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
      if (stopped) break;
      const step = await iterator.next();
      // The consumer may have stopped while the generator worked: drop the value, end it below.
      if (stopped) break;
      if (step.done) {
        send({ type: 'end' });
        return;
      }
      const found = findUncloneable(step.value, 'value');
      if (found !== undefined) {
        send({ type: 'clone', path: found.path, what: found.what });
        await iterator.return?.();
        return;
      }
      credit--;
      send({ type: 'value', value: step.value });
    }
    // Stopped by the consumer: end the generator where it is paused, so its `finally` runs.
    await iterator.return?.();
  } catch (error) {
    if (!stopped) send({ type: 'error', error: serializeError(error) });
  } finally {
    port.off('message', onControl);
    port.close();
  }
}
