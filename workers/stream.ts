/**
 * The worker's half of a stream: runs an exported generator and sends what it yields on the
 * stream's port, at most the credit the host granted ahead (back-pressure), and stops it
 * (its `finally` runs) when the consumer stops. The task settles once the generator is done;
 * the last message on the port says how it ended.
 */
import { performance } from 'node:perf_hooks';
import type { MessagePort } from 'node:worker_threads';
import { STREAM_WINDOW, type StreamControl, type StreamMessage } from '../src/channels.js';
import { findUncloneable, serializeError } from '../src/protocol.js';

/** A generator step at least this long (ms) sends its value at once rather than in a batch. */
const FLUSH_MS = 1;

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
  // Values go out in batches when the generator makes them fast: one message then carries many
  // small values. A value from a step that took FLUSH_MS or more goes out at once; a quick one
  // goes when the event loop next turns, when the credit runs out, or with the next value. So
  // a quick value can wait for at most the next step's synchronous work.
  let batch: unknown[] = [];
  let flushQueued = false;
  const flush = () => {
    flushQueued = false;
    if (batch.length === 0) return;
    const values = batch;
    batch = [];
    send({ type: 'values', values });
  };
  let iterator: Iterator<unknown> | AsyncIterator<unknown> | undefined;
  try {
    iterator = generator(...args);
    for (;;) {
      if (credit === 0) flush();
      while (credit === 0 && !stopped) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
      if (stopped) break;
      const asked = performance.now();
      const step = await iterator.next();
      const slow = performance.now() - asked >= FLUSH_MS;
      // The consumer may have stopped while the generator worked: drop the value, end it below.
      if (stopped) break;
      if (step.done) {
        flush();
        send({ type: 'end' });
        return;
      }
      const found = findUncloneable(step.value, 'value');
      if (found !== undefined) {
        flush();
        send({ type: 'clone', path: found.path, what: found.what });
        await iterator.return?.();
        return;
      }
      credit--;
      batch.push(step.value);
      if (slow) flush();
      else if (!flushQueued) {
        flushQueued = true;
        setImmediate(flush);
      }
    }
    // Stopped by the consumer: end the generator where it is paused, so its `finally` runs.
    await iterator.return?.();
  } catch (error) {
    if (!stopped) {
      flush();
      send({ type: 'error', error: serializeError(error) });
    }
  } finally {
    port.off('message', onControl);
    port.unref();
    port.close();
  }
}
