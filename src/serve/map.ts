/**
 * `POST /map/<fn>`: the body is a JSON array of inputs, `fn(input)` runs for each (chunked over
 * the workers by `HotModule.map()`, on one version), and the answer is the JSON array of results
 * in input order. `?settle=true` answers every input's outcome instead of failing on the first
 * (`{ status: 'fulfilled', value }` or `{ status: 'rejected', reason: { name, message, code } }`);
 * `?chunkSize=N` sets the chunk size.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { jsonDepthError } from './body.js';
import { answerCall, type CallContext, errorDetails, readRequestBody, sendNoExport } from './call.js';
import { sendError, sendMethodNotAllowed } from './reply.js';

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
  const body = await readRequestBody(context, request, response);
  if (body === undefined) return;
  const inputs = parseInputs(body);
  if (inputs instanceof Error) {
    sendError(response, 400, { name: 'BadRequest', message: inputs.message, code: 'ERR_SERVE_BAD_JSON' });
    return;
  }
  // Settling, each failure is shown as a failed call's error would be.
  const toJson = options.settle
    ? (results: unknown) =>
        (results as PromiseSettledResult<unknown>[]).map((entry) =>
          entry.status === 'fulfilled' ? entry : { status: 'rejected', reason: errorDetails(context, request, entry.reason) },
        )
    : undefined;
  await answerCall(
    context,
    request,
    response,
    fn,
    (signal) => {
      // map() takes an AbortSignal: the call's signal aborts it when the client goes away.
      const controller = new AbortController();
      signal.addEventListener('abort', () => controller.abort(signal.reason));
      return module.map(fn, inputs, { ...options, signal: controller.signal });
    },
    toJson,
  );
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
