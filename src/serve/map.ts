/**
 * `POST /map/<fn>`: the body is a JSON array of inputs, `fn(input)` runs for each (chunked over
 * the workers by `HotModule.map()`, on one version), and the answer is the JSON array of results
 * in input order. `?settle=true` answers every input's outcome instead of failing on the first
 * (`{ status: 'fulfilled', value }` or `{ status: 'rejected', reason: { name, message, code } }`);
 * `?chunkSize=N` sets the chunk size.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { HotError } from '../index.js';
import { BodyError, jsonDepthError, readBody } from './body.js';
import { type CallContext, errorDetails, sendCallError, sendNoExport } from './call.js';
import { sendError, sendMethodNotAllowed, sendText, VERSION_HEADER } from './reply.js';
import { versionLabel } from './versions.js';

/** Why a map was aborted when its client went away: nobody is left to answer. */
const CLIENT_GONE = new DOMException('The client closed the connection before the map finished', 'AbortError');

export async function handleMap(
  context: CallContext,
  request: IncomingMessage,
  response: ServerResponse,
  fn: string,
  query: URLSearchParams,
): Promise<void> {
  const { module } = context;
  if (request.method !== 'POST') {
    sendMethodNotAllowed(response, request.method, 'POST');
    return;
  }
  if (!module.version.functions.includes(fn)) {
    sendNoExport(response, fn, module);
    return;
  }
  const options = mapOptions(query);
  if (options instanceof Error) {
    sendError(response, 400, { name: 'BadRequest', message: options.message, code: 'ERR_SERVE_BAD_QUERY' });
    return;
  }
  if (module.isGenerator(fn)) {
    sendError(response, 400, {
      name: 'BadRequest',
      message: `${fn} is a generator function: call it at POST /call/${encodeURIComponent(fn)} to read what it yields; /map runs plain functions`,
      code: 'ERR_HOT_CALL_KIND',
    });
    return;
  }
  let body: Buffer;
  try {
    body = await readBody(request, context.maxBody);
  } catch (error) {
    if (error instanceof BodyError && error.reason === 'too-large') {
      sendError(response, 413, { name: 'PayloadTooLarge', message: error.message, code: 'ERR_SERVE_BODY_TOO_LARGE' });
    }
    return;
  }
  const inputs = parseInputs(body);
  if (inputs instanceof Error) {
    sendError(response, 400, { name: 'BadRequest', message: inputs.message, code: 'ERR_SERVE_BAD_JSON' });
    return;
  }
  const abandoned = new AbortController();
  const onClose = () => {
    if (!response.writableFinished) abandoned.abort(CLIENT_GONE);
  };
  if (response.destroyed) return;
  response.once('close', onClose);
  const started = performance.now();
  const mapping = module.map(fn, inputs, { ...options, signal: abandoned.signal });
  // Read in the same tick as the map: it is pinned to this very version.
  const version = versionLabel(module.routedVersion);
  const open = context.openCalls.add(fn, version);
  let results: unknown[];
  try {
    results = await mapping;
  } catch (error) {
    const seconds = (performance.now() - started) / 1000;
    const kind = error === CLIENT_GONE ? 'client-gone' : HotError.is(error) ? error.code : 'thrown';
    if (!HotError.is(error, 'ERR_HOT_NO_EXPORT')) {
      context.metrics.recordCall(fn, version, seconds, kind);
      context.stats.record(version, seconds * 1000, true);
    }
    if (error !== CLIENT_GONE) sendCallError(context, request, response, error, fn, version);
    return;
  } finally {
    context.openCalls.remove(open);
    response.off('close', onClose);
  }
  const seconds = (performance.now() - started) / 1000;
  context.metrics.recordCall(fn, version, seconds);
  context.stats.record(version, seconds * 1000, false);
  if (options.settle) {
    results = (results as PromiseSettledResult<unknown>[]).map((entry) =>
      entry.status === 'fulfilled' ? entry : { status: 'rejected', reason: errorDetails(context, request, entry.reason) },
    );
  }
  let json: string;
  try {
    json = JSON.stringify(results);
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

/** The query's `settle` and `chunkSize`, or the error a 400 reports. */
function mapOptions(query: URLSearchParams): { settle: boolean; chunkSize?: number } | Error {
  for (const key of query.keys()) {
    if (key !== 'settle' && key !== 'chunkSize')
      return new Error(`Unknown query parameter \`${key}\` of /map; expected \`settle\` or \`chunkSize\``);
  }
  const settle = query.get('settle');
  if (settle !== null && settle !== 'true' && settle !== 'false')
    return new Error(`Expected \`settle\` to be true or false, got \`${settle}\``);
  const chunk = query.get('chunkSize');
  if (chunk === null) return { settle: settle === 'true' };
  const chunkSize = Number(chunk);
  if (!/^\d+$/.test(chunk) || !Number.isSafeInteger(chunkSize) || chunkSize < 1) {
    return new Error(`Expected \`chunkSize\` to be an integer >= 1, got \`${chunk}\``);
  }
  return { settle: settle === 'true', chunkSize };
}

/** The body must be a JSON array: one input per element. */
function parseInputs(body: Buffer): unknown[] | Error {
  const text = body.toString('utf8');
  const tooDeep = jsonDepthError(text);
  if (tooDeep !== undefined) return tooDeep;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return new Error(`The request body is not valid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(value)) return new Error('The body of /map/<fn> must be a JSON array of inputs, one per call');
  return value;
}
