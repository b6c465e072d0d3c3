/**
 * The admin routes, `/_hot/status`, `/_hot/events`, `/_hot/upgrade` and `/_hot/rollback`. Who may use them
 * (same origin, the admin token) is decided before, in access.ts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HotError, type UpgradeOptions, type VersionInfo } from '../index.js';
import { BodyError, readBody } from './body.js';
import { summarizeFailure } from './failure.js';
import type { LiveFeed } from './live.js';
import { sendError, sendJson, sendMethodNotAllowed } from './reply.js';
import { versionJson } from './versions.js';

/** The outcome of an upgrade or rollback asked for through the server. */
export interface Transition {
  /** The version that served when the request was made. */
  readonly previous: VersionInfo;
  /** The version serving now. */
  readonly version: VersionInfo;
  /** False when the source was unchanged and the version kept serving. */
  readonly changed: boolean;
}

/** What the admin routes need from the server. */
export interface AdminContext {
  /** How advice in errors names the library's options. */
  readonly optionNames: Readonly<Record<string, string>>;
  /** The status document of `GET /_hot/status`. */
  status(): unknown;
  upgrade(trigger: string, options: UpgradeOptions): Promise<Transition>;
  rollback(trigger: string): Promise<Transition>;
  /** The status page's event stream. */
  readonly live: LiveFeed;
}

const ADMIN_BODY_LIMIT = 16 * 1024;

/** Answers one `/_hot/<action>` request. */
export async function handleAdmin(
  context: AdminContext,
  request: IncomingMessage,
  response: ServerResponse,
  action: string,
): Promise<void> {
  switch (action) {
    case 'events':
      if (request.method !== 'GET') return sendMethodNotAllowed(response, request.method, 'GET');
      return context.live.connect(request, response);
    case 'status':
      if (request.method !== 'GET' && request.method !== 'HEAD') return sendMethodNotAllowed(response, request.method, 'GET');
      return sendJson(response, 200, context.status());
    case 'upgrade':
    case 'rollback': {
      if (request.method !== 'POST') return sendMethodNotAllowed(response, request.method, 'POST');
      const options = await readUpgradeOptions(request, response, action);
      if (options === undefined) return;
      try {
        const transition = action === 'upgrade' ? await context.upgrade('admin', options) : await context.rollback('admin');
        return sendJson(response, 200, {
          changed: transition.changed,
          previous: versionJson(transition.previous),
          version: versionJson(transition.version),
        });
      } catch (error) {
        return sendTransitionError(response, error, context.optionNames);
      }
    }
    default:
      return sendError(response, 404, { name: 'NotFound', message: `No admin route /_hot/${action}`, code: 'ERR_SERVE_NOT_FOUND' });
  }
}

/** An empty body is no options; otherwise a JSON object with `allowBreaking`, `restart`, `canary` and `rollbackOn` (upgrade only). */
async function readUpgradeOptions(request: IncomingMessage, response: ServerResponse, action: string): Promise<UpgradeOptions | undefined> {
  // A browser page can POST `text/plain` or a form to any address without asking first;
  // only a JSON body (or none at all) cannot come from one.
  const type = request.headers['content-type'];
  const declared = Number(request.headers['content-length'] ?? 0);
  const hasBody = declared > 0 || request.headers['transfer-encoding'] !== undefined;
  if ((type !== undefined || hasBody) && !isJson(type)) {
    request.resume();
    sendError(response, 415, {
      name: 'UnsupportedMediaType',
      message: `The admin API takes only "Content-Type: application/json" bodies, got ${type === undefined ? 'none' : `'${type}'`}`,
      code: 'ERR_SERVE_CONTENT_TYPE',
    });
    return undefined;
  }
  let text: string;
  try {
    text = (await readBody(request, ADMIN_BODY_LIMIT)).toString('utf8').trim();
  } catch (error) {
    if (error instanceof BodyError && error.reason === 'too-large') {
      sendError(response, 413, { name: 'PayloadTooLarge', message: error.message, code: 'ERR_SERVE_BODY_TOO_LARGE' });
    }
    return undefined;
  }
  if (text === '') return {};
  const allowed = action === 'upgrade' ? ['allowBreaking', 'restart'] : [];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    sendError(response, 400, {
      name: 'BadRequest',
      message: `The request body is not valid JSON: ${(error as Error).message}`,
      code: 'ERR_SERVE_BAD_JSON',
    });
    return undefined;
  }
  const problem = optionsProblem(value, allowed);
  if (problem !== undefined) {
    sendError(response, 400, { name: 'BadRequest', message: `Bad ${action} options: ${problem}`, code: 'ERR_SERVE_BAD_OPTION' });
    return undefined;
  }
  return value as UpgradeOptions;
}

function isJson(type: string | undefined): boolean {
  return type !== undefined && /^application\/json\s*(;|$)/i.test(type.trim());
}

/** What is wrong with an options object whose keys must be among `allowed`, each a boolean; undefined when nothing is. */
function optionsProblem(value: unknown, allowed: readonly string[]): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'the body must be a JSON object';
  const expected =
    allowed.length > 0
      ? `expected booleans ${allowed.map((key) => `\`${key}\``).join(', ')}, or \`canary\`, \`rollbackOn\``
      : 'it takes none';
  for (const [key, option] of Object.entries(value)) {
    if (!allowed.includes(key) && !(allowed.length > 0 && rolloutKeys.has(key))) return `unknown option \`${key}\`; ${expected}`;
    // The library validates the rollout objects themselves (ERR_HOT_INVALID_OPTION → 400).
    if (key === 'canary' && option !== true && (typeof option !== 'object' || option === null)) return '`canary` must be an object or true';
    if (key === 'rollbackOn' && option !== false && (typeof option !== 'object' || option === null))
      return '`rollbackOn` must be an object or false';
    if (!rolloutKeys.has(key) && typeof option !== 'boolean') return `\`${key}\` must be a boolean`;
  }
  return undefined;
}

/** Upgrade options that are objects, passed on to the library as they are. */
const rolloutKeys = new Set(['canary', 'rollbackOn']);

/** HTTP status of an upgrade or rollback failure: the old version keeps serving in every case but 503. */
const STATUS_OF_FAILURE: Readonly<Record<string, number>> = {
  ERR_HOT_BUILD: 422,
  ERR_HOT_LOAD: 422,
  ERR_HOT_VERIFY: 422,
  ERR_HOT_STATE: 422,
  ERR_HOT_CANARY: 422,
  ERR_HOT_INCOMPATIBLE: 409,
  ERR_HOT_NO_PREVIOUS: 409,
  ERR_HOT_CLOSED: 503,
  ERR_HOT_INVALID_OPTION: 400,
};

function sendTransitionError(response: ServerResponse, error: unknown, optionNames: Readonly<Record<string, string>>): void {
  const summary = summarizeFailure(error, optionNames);
  const status = HotError.is(error) ? (STATUS_OF_FAILURE[error.code] ?? 500) : 500;
  sendError(response, status, {
    name: (error as Error)?.name ?? 'Error',
    message:
      summary.where !== undefined && !summary.message.includes(summary.where)
        ? `${summary.message} (at ${summary.where})`
        : summary.message,
    code: summary.code,
  });
}
