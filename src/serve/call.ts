/**
 * `POST /call/<fn>`: the JSON body becomes the arguments, the function runs in a worker of
 * the version current when the call starts, and its result (or error) becomes the answer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { basename } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CallSignal } from '../call-signal.js';
import { HotError, type HotModule } from '../index.js';
import { type AccessPolicy, hasAdminToken } from './access.js';
import { BodyError, jsonDepthError, readBody } from './body.js';
import type { ServeMetrics } from './metrics.js';
import type { OpenCalls } from './open-calls.js';
import { redactPaths } from './redact.js';
import { type ErrorBody, sendError, sendMethodNotAllowed, sendText, VERSION_HEADER } from './reply.js';
import type { CallStats } from './stats.js';
import { handleStream } from './stream.js';
import { versionLabel } from './versions.js';

/** What the call route needs from the server. */
export interface CallContext {
  readonly module: HotModule;
  readonly metrics: ServeMetrics;
  readonly stats: CallStats;
  /** Largest request body accepted, in bytes. */
  readonly maxBody: number;
  /** Put the function's stack in 500 answers. */
  readonly exposeStack: boolean;
  /** Who sees error details unredacted: callers presenting the admin token. */
  readonly access: AccessPolicy;
  /** Calls in flight, named by a shutdown that has to cut them. */
  readonly openCalls: OpenCalls;
}

/** Why a call was aborted when its client went away: nobody is left to answer. */
const CLIENT_GONE = new DOMException('The client closed the connection before the call finished', 'AbortError');

/** The signal of each call in flight, by the response that will carry its answer. */
const inFlight = new WeakMap<ServerResponse, CallSignal>();

/**
 * Called by the server for every response that closes: a call still in flight for it has lost
 * its client. A client that gives up must not leave its call running: a stuck call would hold
 * a worker for good. A queued call is dropped at once. A running one gets `graceMs` to finish
 * before it is aborted, which ends its worker (the pool starts another): without the grace,
 * every client that closed its connection mid-call cost a thread boot, even for a call that had
 * microseconds left (measured: both threads replaced each time a load test's 32 connections
 * closed, which cost serve 7 % of its requests per second in bench scenario 11).
 */
export function abandonCall(response: ServerResponse, graceMs: number): void {
  if (response.writableFinished) return;
  inFlight.get(response)?.abandon(CLIENT_GONE, graceMs);
}

export async function handleCall(context: CallContext, request: IncomingMessage, response: ServerResponse, fn: string): Promise<void> {
  const { module } = context;
  if (request.method !== 'POST') {
    sendMethodNotAllowed(response, request.method, 'POST');
    return;
  }
  // Checked before the body is read: an unknown name costs nothing, and is no error of the
  // version (not counted). `functions` is an array, so `__proto__` and `constructor` are
  // just names it does not hold.
  if (!module.version.functions.includes(fn)) {
    sendNoExport(response, fn, module);
    return;
  }
  const body = await readRequestBody(context, request, response);
  if (body === undefined) return;
  const args = parseArguments(body);
  if (args instanceof Error) {
    sendError(response, 400, { name: 'BadRequest', message: args.message, code: 'ERR_SERVE_BAD_JSON' });
    return;
  }
  // A generator function answers as newline-delimited JSON, a line per value it yields.
  if (module.isGenerator(fn)) {
    await handleStream(context, response, fn, args, {
      early: (error, version) => sendCallError(context, request, response, error, fn, version),
      details: (error) => errorDetails(context, request, error),
    });
    return;
  }
  await answerCall(context, request, response, fn, (signal) => module.runWithCallSignal(fn, args, signal));
}

/** The request's body, or undefined once answered 413 (over `maxBody`) or the client is gone. */
export async function readRequestBody(
  context: CallContext,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<Buffer | undefined> {
  try {
    return await readBody(request, context.maxBody);
  } catch (error) {
    if (error instanceof BodyError && error.reason === 'too-large') {
      sendError(response, 413, { name: 'PayloadTooLarge', message: error.message, code: 'ERR_SERVE_BODY_TOO_LARGE' });
    }
    return undefined;
  }
}

/**
 * Runs the call `start` makes for this request with what serve adds to every call: aborted when
 * the client goes away (`signal`, see {@link abandonCall}), listed in the open calls, counted
 * in metrics and stats, and answered with its result as JSON (`toJson` shapes it first) or
 * with its error.
 */
export async function answerCall(
  context: CallContext,
  request: IncomingMessage,
  response: ServerResponse,
  fn: string,
  start: (signal: CallSignal) => Promise<unknown>,
  toJson?: (result: unknown) => unknown,
): Promise<void> {
  const { module } = context;
  if (response.destroyed) return;
  const signal = new CallSignal();
  inFlight.set(response, signal);
  const started = performance.now();
  const call = start(signal);
  // Read in the same tick as the call: the call is pinned to this very version (during a canary, either one).
  const version = versionLabel(module.routedVersion);
  const open = context.openCalls.add(fn, version);
  let result: unknown;
  try {
    result = await call;
  } catch (error) {
    const seconds = (performance.now() - started) / 1000;
    const kind = error === CLIENT_GONE ? 'client-gone' : HotError.is(error) ? error.code : 'thrown';
    // A name the version does not export is the caller's mistake, not the version's error.
    if (!HotError.is(error, 'ERR_HOT_NO_EXPORT')) {
      context.metrics.recordCall(fn, version, seconds, kind);
      // A call shed by --max-queue never reached the version: counted in /metrics by its code, not as the version's error.
      if (!HotError.is(error, 'ERR_HOT_QUEUE_FULL')) context.stats.record(version, seconds * 1000, true);
    }
    if (error !== CLIENT_GONE) sendCallError(context, request, response, error, fn, version);
    return;
  } finally {
    context.openCalls.remove(open);
    inFlight.delete(response);
  }
  const seconds = (performance.now() - started) / 1000;
  context.metrics.recordCall(fn, version, seconds);
  context.stats.record(version, seconds * 1000, false);
  let json: string;
  try {
    json = JSON.stringify(toJson === undefined ? result : toJson(result)) ?? 'null';
  } catch (error) {
    sendError(
      response,
      500,
      {
        name: 'TypeError',
        message: `${fn}() returned a value that cannot be sent as JSON: ${(error as Error).message}`,
        code: 'ERR_SERVE_RESULT',
      },
      { [VERSION_HEADER]: version },
    );
    return;
  }
  sendText(response, 200, json, 'application/json; charset=utf-8', { [VERSION_HEADER]: version });
}

/** A JSON array is the argument list; any other JSON value is the one argument; no body is no argument. */
function parseArguments(body: Buffer): unknown[] | Error {
  const text = body.toString('utf8');
  if (text.trim() === '') return [];
  const tooDeep = jsonDepthError(text);
  if (tooDeep !== undefined) return tooDeep;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return new Error(`The request body is not valid JSON: ${(error as Error).message}`);
  }
  return Array.isArray(value) ? value : [value];
}

export function sendNoExport(response: ServerResponse, fn: string, module: HotModule): void {
  const { version } = module;
  sendError(
    response,
    404,
    {
      name: 'NotFound',
      message: `${fn} is not an exported function of ${basename(version.entry)} (version ${versionLabel(version)}); exported functions: ${version.functions.join(', ') || 'none'}`,
      code: 'ERR_HOT_NO_EXPORT',
    },
    { [VERSION_HEADER]: versionLabel(version) },
  );
}

function sendCallError(
  context: CallContext,
  request: IncomingMessage,
  response: ServerResponse,
  error: unknown,
  fn: string,
  version: string,
): void {
  if (HotError.is(error, 'ERR_HOT_NO_EXPORT')) {
    // A name the version exports that is not a function (`export const x = 1`).
    sendNoExport(response, fn, context.module);
    return;
  }
  if (HotError.is(error, 'ERR_HOT_CLOSED')) {
    sendError(
      response,
      503,
      { name: 'ServiceUnavailable', message: 'The server is shutting down', code: error.code },
      { [VERSION_HEADER]: version, connection: 'close' },
    );
    return;
  }
  if (HotError.is(error, 'ERR_HOT_QUEUE_FULL')) {
    // Load shedding (--max-queue): the client may come back in a moment.
    sendError(response, 503, errorDetails(context, request, error), { [VERSION_HEADER]: version, 'retry-after': '1' });
    return;
  }
  // Anything else (the function threw, its worker died, its result cannot cross threads) is a 500.
  const status = HotError.is(error, 'ERR_HOT_CALL_TIMEOUT') ? 504 : 500;
  sendError(response, status, errorDetails(context, request, error), { [VERSION_HEADER]: version });
}

/** A call's error as the answer shows it: name, message, code, and the stack when exposed. */
export function errorDetails(context: CallContext, request: IncomingMessage, error: unknown): ErrorBody['error'] {
  const thrown = error instanceof Error ? error : new Error(`Non-error value thrown: ${String(error)}`);
  const code = (thrown as { code?: unknown }).code;
  // Paths tell an anonymous caller how the machine is laid out; only the operator sees them.
  const shown = hasAdminToken(context.access, request) ? (text: string) => text : redactPaths;
  return {
    name: thrown.name,
    message: shown(thrown.message),
    ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
    ...(context.exposeStack && thrown.stack !== undefined ? { stack: shown(thrown.stack) } : {}),
  };
}
