/**
 * The status page: `GET /_hot/` and its two assets under `/_hot/assets/`. Static files shipped
 * with the package (no build step, nothing loaded from elsewhere), read once and kept in memory.
 * The page itself carries no data: it reads `/_hot/events` and acts through `/_hot/upgrade`
 * and `/_hot/rollback`, under the admin routes' own access rules.
 */
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import type { AdminAccess } from './access.js';
import { sendError } from './reply.js';

/** The page's files, beside this module (copied into dist by the build). */
const PAGE_DIR = new URL('./page/', import.meta.url);

const TYPES: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'page.css': 'text/css; charset=utf-8',
  'page.js': 'text/javascript; charset=utf-8',
};

/**
 * Only the page's own origin, for everything; no inline script or style, no frames around it
 * (a cross-origin page cannot overlay its buttons), forms and fetches back to this server only.
 */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

const files = new Map<string, Buffer>();

function file(name: string): Buffer {
  let body = files.get(name);
  if (body === undefined) {
    body = readFileSync(new URL(name, PAGE_DIR));
    files.set(name, body);
  }
  return body;
}

/**
 * Answers `GET /_hot/` (`asset` empty) or `GET /_hot/assets/<asset>`. The HTML names the access
 * mode, so that the page asks for the token before it asks for data.
 */
export function sendPage(response: ServerResponse, access: AdminAccess, asset: string): void {
  const name = asset === '' ? 'index.html' : asset;
  const type = TYPES[name];
  if (type === undefined) {
    sendError(response, 404, { name: 'NotFound', message: `No page asset ${asset}`, code: 'ERR_SERVE_NOT_FOUND' });
    return;
  }
  let body = file(name);
  if (name === 'index.html') body = Buffer.from(body.toString('utf8').replace('{{access}}', access.mode));
  response.writeHead(200, { 'content-type': type, 'content-length': body.length, ...SECURITY_HEADERS });
  response.end(body);
}
