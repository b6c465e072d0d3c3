/**
 * Who may reach the service, in one place: the `Host` header (DNS rebinding), the `Origin`
 * header (pages of other sites driving the service from a browser), CORS for `/call/*`, and
 * the admin token. Every route asks {@link checkAccess} before doing anything else.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { ServeError } from './options.js';

/** The shortest admin token accepted: long enough that guessing it over HTTP is hopeless. */
export const MIN_TOKEN_LENGTH = 16;

/** Who may use the admin routes. */
export type AdminAccess =
  /** Loopback host, no token: anyone who can connect is on this machine. */
  | { readonly mode: 'open' }
  /** A token was given: every admin request must carry `Authorization: Bearer <token>`. */
  | { readonly mode: 'token'; readonly digest: Buffer }
  /** A non-loopback host and no token: the admin routes are refused. */
  | { readonly mode: 'refused' };

/** What an {@link AccessPolicy} is built from: the server's options. */
export interface AccessSettings {
  /** The address the server listens on (`--host`). */
  readonly host: string;
  /** The port it listens on, once known (`--port 0` picks one at listen time). */
  readonly port: () => number;
  /** More `Host` values to accept (`--allow-host`): `name` (any port) or `name:port`. */
  readonly allowHosts?: readonly string[] | undefined;
  /** The one foreign origin `/call/*` answers (`--cors`), e.g. `https://app.example`. */
  readonly cors?: string | undefined;
  /** The admin token (`--admin-token` or `HOTWORKER_ADMIN_TOKEN`). */
  readonly adminToken?: string | undefined;
}

/** The access rules of one server. Build it with {@link accessPolicy}. */
export interface AccessPolicy {
  readonly admin: AdminAccess;
  /** The origin allowed cross-site on `/call/*`, normalized (`https://app.example`), if any. */
  readonly cors: string | undefined;
  /** True when `hostHeader` (`name:port`) names this server. */
  hostAllowed(hostHeader: string | undefined): boolean;
}

/** The kinds of route, by what they may be asked from a browser. */
export type RouteKind =
  /** `/call/*`: other origins only through `--cors`. */
  | 'call'
  /** `/_hot/*`: same origin only, and the admin token when one is set. */
  | 'admin'
  /**
   * `/_hot/` and its assets, the status page: same origin only, but no token (it holds no data
   * and asks for the token itself); refused where the admin API is disabled.
   */
  | 'page'
  /** `/`, `/metrics`, anything else: the `Host` check only (a foreign page cannot read the answer). */
  | 'public';

/** Why a request is refused: what to answer. */
export interface Refusal {
  readonly status: number;
  readonly error: { readonly name: string; readonly message: string; readonly code: string };
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Checks a token at start: refuses (with {@link ServeError} `ERR_SERVE_BAD_TOKEN`) one with
 * whitespace or shorter than {@link MIN_TOKEN_LENGTH} characters.
 */
export function validateAdminToken(token: string, source = '--admin-token'): void {
  if (/\s/.test(token)) {
    throw new ServeError(
      'ERR_SERVE_BAD_TOKEN',
      `${source} must not contain spaces or other whitespace (it is sent as "Authorization: Bearer <token>")`,
    );
  }
  if (token.length < MIN_TOKEN_LENGTH) {
    throw new ServeError(
      'ERR_SERVE_BAD_TOKEN',
      `${source} must be at least ${MIN_TOKEN_LENGTH} characters, got ${token.length}; make one with: node -e "console.log(crypto.randomBytes(24).toString('base64url'))"`,
    );
  }
}

/**
 * Checks a `--cors` value and returns it normalized: an origin such as `https://app.example`
 * or `http://localhost:5173` (scheme, host and port only). Throws {@link ServeError} `ERR_SERVE_BAD_ORIGIN`.
 */
export function normalizeOrigin(origin: string): string {
  let url: URL | undefined;
  try {
    url = new URL(origin);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== origin.replace(/\/$/, '')) {
    throw new ServeError(
      'ERR_SERVE_BAD_ORIGIN',
      `--cors must be an origin such as https://app.example or http://localhost:5173 (no path), got '${origin}'`,
    );
  }
  return url.origin;
}

/** Builds the access rules; validates the token and the CORS origin (throws {@link ServeError}). */
export function accessPolicy(settings: AccessSettings): AccessPolicy {
  const token = settings.adminToken;
  if (token !== undefined) validateAdminToken(token);
  const cors = settings.cors === undefined ? undefined : normalizeOrigin(settings.cors);
  const admin: AdminAccess =
    token !== undefined ? { mode: 'token', digest: digest(token) } : isLoopback(settings.host) ? { mode: 'open' } : { mode: 'refused' };
  const extra = (settings.allowHosts ?? []).map((entry) => splitHost(entry.toLowerCase()));
  const served = servedNames(settings.host);
  const allowed = (hostHeader: string, own: number): boolean => {
    const { name, port } = splitHost(hostHeader.toLowerCase());
    // A Host without a port means the scheme's default: 80 for http.
    if ((port ?? 80) === own && (LOOPBACK_NAMES.has(name) || served.has(name))) return true;
    return extra.some((allowed) => allowed.name === name && (allowed.port === undefined || allowed.port === (port ?? 80)));
  };
  // Every request asks, and clients send the same few Host values: remember the answers
  // (for the port they were given for: it is only known once the server listens).
  const answers = new Map<string, boolean>();
  let answersPort = Number.NaN;
  return {
    admin,
    cors,
    hostAllowed(hostHeader) {
      if (hostHeader === undefined) return false;
      const own = settings.port();
      if (own !== answersPort) {
        answers.clear();
        answersPort = own;
      }
      let answer = answers.get(hostHeader);
      if (answer === undefined) {
        answer = allowed(hostHeader, own);
        // Bounded: a client sending ever new Host values only empties the memo.
        if (answers.size >= HOST_ANSWERS_KEPT) answers.clear();
        answers.set(hostHeader, answer);
      }
      return answer;
    },
  };
}

/** Host values whose answer is remembered. */
const HOST_ANSWERS_KEPT = 64;

/**
 * Decides whether `request` may reach a route of `kind`. Returns undefined when it may, or
 * what to answer. The admin token is checked for `admin` routes; every route checks `Host`.
 */
export function checkAccess(policy: AccessPolicy, request: IncomingMessage, kind: RouteKind): Refusal | undefined {
  const host = request.headers.host;
  if (!policy.hostAllowed(host)) {
    return forbidden(
      'ERR_SERVE_HOST',
      `Host '${host ?? ''}' is not served here; ask for this server by its address or a loopback name (the operator can add names with --allow-host)`,
    );
  }
  const origin = request.headers.origin;
  if (origin !== undefined && !isOwnOrigin(origin, host as string)) {
    if (kind === 'admin' || kind === 'page') {
      return forbidden('ERR_SERVE_ORIGIN', 'The admin API does not answer requests from other sites (a browser sent a foreign Origin)');
    }
    if (kind === 'call' && origin !== policy.cors) {
      return forbidden(
        'ERR_SERVE_ORIGIN',
        `Origin '${origin}' may not call this service; the operator can allow one origin with --cors <origin>`,
      );
    }
  }
  if (kind === 'admin') return checkAdmin(policy.admin, request);
  if (kind === 'page' && policy.admin.mode === 'refused') return checkAdmin(policy.admin, request);
  return undefined;
}

/** True when `request` carries the admin token (callers with it see full error details). Always false without a token set. */
export function hasAdminToken(policy: AccessPolicy, request: IncomingMessage): boolean {
  return policy.admin.mode === 'token' && tokenMatches(policy.admin.digest, request);
}

/**
 * The CORS headers of an answer to an allowed cross-origin `/call/*` request; empty for a
 * same-origin or non-browser one.
 */
export function corsHeaders(policy: AccessPolicy, request: IncomingMessage): Record<string, string> {
  const origin = request.headers.origin;
  if (origin === undefined || policy.cors === undefined || origin !== policy.cors) return {};
  return { 'access-control-allow-origin': origin, 'access-control-expose-headers': 'hotworker-version', vary: 'Origin' };
}

/**
 * The answer to a CORS preflight (`OPTIONS` with `Access-Control-Request-Method`) on
 * `/call/*` from the allowed origin: `POST` with a `Content-Type` header, cached 10 minutes.
 * Returns undefined when the request is no such preflight.
 */
export function preflightHeaders(policy: AccessPolicy, request: IncomingMessage): Record<string, string> | undefined {
  if (request.method !== 'OPTIONS' || request.headers['access-control-request-method'] === undefined) return undefined;
  const cors = corsHeaders(policy, request);
  if (cors['access-control-allow-origin'] === undefined) return undefined;
  return {
    ...cors,
    'access-control-allow-methods': 'POST',
    'access-control-allow-headers': 'content-type',
    'access-control-max-age': '600',
  };
}

/** True for `localhost`, 127.0.0.0/8 and ::1: addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || bare === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(bare);
  return false;
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/** The `Host` names of the address served; for a wildcard address, every local interface's. */
function servedNames(host: string): Set<string> {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  const names = new Set<string>([isIP(bare) === 6 ? `[${bare}]` : bare]);
  if (bare === '0.0.0.0' || bare === '::') {
    for (const addresses of Object.values(networkInterfaces())) {
      for (const address of addresses ?? []) {
        names.add(address.family === 'IPv6' ? `[${address.address.toLowerCase()}]` : address.address);
      }
    }
  }
  return names;
}

/** `name:port` → parts; `[::1]:3000` keeps its brackets. */
function splitHost(value: string): { name: string; port: number | undefined } {
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(value.trim());
  if (match === null) return { name: value, port: undefined };
  return { name: match[1] as string, port: match[2] === undefined ? undefined : Number(match[2]) };
}

/** A browser's own origin for this server is `http://<the Host it asked for>` (`https:` behind a TLS proxy). */
function isOwnOrigin(origin: string, host: string): boolean {
  const asked = origin.toLowerCase();
  return asked === `http://${host.toLowerCase()}` || asked === `https://${host.toLowerCase()}`;
}

function checkAdmin(access: AdminAccess, request: IncomingMessage): Refusal | undefined {
  if (access.mode === 'open') return undefined;
  if (access.mode === 'refused') {
    return forbidden(
      'ERR_SERVE_ADMIN_DISABLED',
      'The admin API is disabled on a non-loopback host; start the server with --admin-token to enable it',
    );
  }
  if (tokenMatches(access.digest, request)) return undefined;
  return {
    status: 401,
    error: { name: 'Unauthorized', message: 'The admin API needs `Authorization: Bearer <admin token>`', code: 'ERR_SERVE_UNAUTHORIZED' },
    headers: { 'www-authenticate': 'Bearer realm="hotworker"' },
  };
}

function tokenMatches(expected: Buffer, request: IncomingMessage): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  // Compare digests, which have equal lengths, in constant time.
  return match !== null && timingSafeEqual(digest(match[1] as string), expected);
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

function forbidden(code: string, message: string): Refusal {
  return { status: 403, error: { name: 'Forbidden', message, code } };
}
