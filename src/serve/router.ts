/**
 * Routes each request: `/call/<fn>`, `/map/<fn>`, the admin routes under `/_hot/`, `/metrics`, and `/`,
 * once access.ts has let it through (Host, Origin, admin token). Every answer carries the `hotworker-version` header; while the server closes, new
 * requests get 503 and every answer asks the client to close its connection.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { basename } from 'node:path';
import { checkAccess, corsHeaders, preflightHeaders, type RouteKind } from './access.js';
import { type AdminContext, handleAdmin } from './admin.js';
import { type CallContext, handleCall } from './call.js';
import type { Logger } from './log.js';
import { handleMap } from './map.js';
import { sendPage } from './page.js';
import { sendError, sendJson, sendMethodNotAllowed, sendText, VERSION_HEADER } from './reply.js';
import { versionLabel } from './versions.js';

/** What the router needs from the server. */
export interface RouterContext extends CallContext, AdminContext {
  readonly logger: Logger;
  /** True once shutdown has begun: new requests are refused with 503. */
  readonly closing: boolean;
}

/** Handles one request; never rejects (a failure is logged and answered 500). */
export async function route(context: RouterContext, request: IncomingMessage, response: ServerResponse): Promise<void> {
  response.setHeader(VERSION_HEADER, versionLabel(context.module.version));
  const target = requestTarget(request.url);
  const path = target.split('?', 1)[0] as string;
  const kind = routeKind(path);
  const refusal = checkAccess(context.access, request, kind);
  if (refusal !== undefined) {
    sendError(response, refusal.status, refusal.error, { ...refusal.headers });
    return;
  }
  if (kind === 'call') {
    const preflight = preflightHeaders(context.access, request);
    if (preflight !== undefined) {
      response.writeHead(204, preflight).end();
      return;
    }
    for (const [name, value] of Object.entries(corsHeaders(context.access, request))) response.setHeader(name, value);
  }
  if (context.closing) {
    response.setHeader('connection', 'close');
    sendError(response, 503, { name: 'ServiceUnavailable', message: 'The server is shutting down', code: 'ERR_SERVE_CLOSING' });
    return;
  }
  try {
    if (path.startsWith('/call/')) {
      const fn = functionName(path.slice('/call/'.length));
      if (fn === undefined) {
        sendError(response, 404, { name: 'NotFound', message: `No function at ${path}`, code: 'ERR_HOT_NO_EXPORT' });
        return;
      }
      await handleCall(context, request, response, fn);
    } else if (path.startsWith('/map/')) {
      const fn = functionName(path.slice('/map/'.length));
      if (fn === undefined) {
        sendError(response, 404, { name: 'NotFound', message: `No function at ${path}`, code: 'ERR_HOT_NO_EXPORT' });
        return;
      }
      const query = new URLSearchParams(target.slice(path.length + 1));
      await handleMap(context, request, response, fn, query);
    } else if (kind === 'page') {
      if (request.method !== 'GET' && request.method !== 'HEAD') return sendMethodNotAllowed(response, request.method, 'GET');
      if (path === '/_hot') response.writeHead(308, { location: '/_hot/', 'content-length': 0 }).end();
      else sendPage(response, context.access.admin, path === '/_hot/' ? '' : path.slice('/_hot/assets/'.length));
    } else if (path.startsWith('/_hot/')) {
      await handleAdmin(context, request, response, path.slice('/_hot/'.length));
    } else if (path === '/metrics') {
      // HEAD as GET: Node sends the headers alone.
      if (request.method !== 'GET' && request.method !== 'HEAD') return sendMethodNotAllowed(response, request.method, 'GET');
      sendText(response, 200, await context.metrics.render(), context.metrics.contentType);
    } else if (path === '/') {
      if (request.method !== 'GET' && request.method !== 'HEAD') return sendMethodNotAllowed(response, request.method, 'GET');
      const { version } = context.module;
      sendJson(response, 200, {
        module: basename(version.entry),
        version: versionLabel(version),
        exports: version.exports,
        functions: version.functions,
        call: 'POST /call/<fn> with a JSON array of arguments',
        map: 'POST /map/<fn> with a JSON array of inputs, one call per input',
      });
    } else {
      sendError(response, 404, {
        name: 'NotFound',
        message: `No route ${path}; functions are at POST /call/<fn>`,
        code: 'ERR_SERVE_NOT_FOUND',
      });
    }
  } catch (error) {
    context.logger.error('request-error', `${request.method} ${path} failed: ${(error as Error)?.message ?? error}`, { path });
    sendError(response, 500, {
      name: 'InternalServerError',
      message: 'The server failed to answer this request',
      code: 'ERR_SERVE_INTERNAL',
    });
  }
}

/**
 * The path and query of a request target. A client may send the absolute form
 * (`POST http://host/call/add`), which an HTTP/1.1 server must accept: its path and query are
 * taken, normalized as URL parsing does, before routing and access checks see them.
 */
function requestTarget(url: string | undefined): string {
  if (url === undefined || url === '') return '/';
  if (url.startsWith('/')) return url;
  try {
    const absolute = new URL(url);
    return `${absolute.pathname}${absolute.search}`;
  } catch {
    return url;
  }
}

function routeKind(path: string): RouteKind {
  if (path.startsWith('/call/') || path.startsWith('/map/')) return 'call';
  if (path === '/_hot' || path === '/_hot/' || path.startsWith('/_hot/assets/')) return 'page';
  if (path.startsWith('/_hot/')) return 'admin';
  return 'public';
}

/** The decoded function name of a `/call/<fn>` path, or undefined when it cannot name one. */
function functionName(segment: string): string | undefined {
  if (segment === '' || segment.includes('/')) return undefined;
  // Without a `%` there is nothing to decode (and nothing decodeURIComponent could refuse).
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
