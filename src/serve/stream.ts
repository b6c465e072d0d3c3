/**
 * `POST /call/<fn>` of a generator function: newline-delimited JSON (`application/x-ndjson`),
 * one value per line, written as the worker yields it. An error before the first value is
 * answered like a call's; one after it ends the body with a last line `{"error": {...}}`.
 * A client that goes away stops the generator in the worker.
 */
import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { HotError } from '../index.js';
import type { CallContext } from './call.js';
import { type ErrorBody, VERSION_HEADER } from './reply.js';
import { versionLabel } from './versions.js';

/** How the call route answers errors, so a stream's are answered (and redacted) the same way. */
export interface StreamErrors {
  /** Answers an error raised before the first value, as any call's error. */
  readonly early: (error: unknown, version: string) => void;
  /** The `{ name, message, code }` of an error raised after the first value, for the last line. */
  readonly details: (error: unknown) => ErrorBody['error'];
}

export async function handleStream(
  context: CallContext,
  response: ServerResponse,
  fn: string,
  args: unknown[],
  errors: StreamErrors,
): Promise<void> {
  if (response.destroyed) return;
  const stream = context.module.stream(fn, ...args);
  // Read in the same tick as the stream starts: it is pinned to this very version (during a canary, either one).
  const version = versionLabel(context.module.routedVersion);
  const open = context.openCalls.add(fn, version);
  const started = performance.now();
  // The client going away stops the generator in the worker (its `finally` runs).
  const stop = () => void stream.return?.();
  response.once('close', stop);
  let failure: { error: unknown } | undefined;
  try {
    // The first value decides the status: a stream that fails at once, or whose first value JSON
    // cannot carry, is answered like a call.
    let step = await stream.next();
    let line = step.done ? '' : jsonLine(fn, step.value);
    if (!response.destroyed) {
      response.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', [VERSION_HEADER]: version });
    }
    while (!step.done && !response.destroyed) {
      if (!response.write(line)) await drained(response);
      step = await stream.next();
      if (!step.done) line = jsonLine(fn, step.value);
    }
  } catch (error) {
    failure = { error };
    await stream.return?.();
  } finally {
    response.off('close', stop);
    context.openCalls.remove(open);
  }
  const seconds = (performance.now() - started) / 1000;
  const gone = response.destroyed && !response.writableFinished;
  const kind = failure === undefined ? (gone ? 'client-gone' : undefined) : HotError.is(failure.error) ? failure.error.code : 'thrown';
  context.metrics.recordCall(fn, version, seconds, kind);
  context.stats.record(version, seconds * 1000, failure !== undefined);
  if (response.destroyed) return;
  if (failure === undefined) response.end();
  else if (!response.headersSent) errors.early(failure.error, version);
  else response.end(`${JSON.stringify({ error: errors.details(failure.error) })}\n`);
}

/** One value as a line of JSON. Throws `ERR_SERVE_RESULT` for a value JSON cannot carry, as a call's result does. */
function jsonLine(fn: string, value: unknown): string {
  try {
    return `${JSON.stringify(value) ?? 'null'}\n`;
  } catch (error) {
    throw Object.assign(new TypeError(`${fn}() yielded a value that cannot be sent as JSON: ${(error as Error).message}`), {
      code: 'ERR_SERVE_RESULT',
    });
  }
}

/** Waits until the client has taken what was written, or has gone. */
function drained(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.once('drain', done);
    response.once('close', done);
  });
}
