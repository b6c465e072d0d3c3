/**
 * Writing answers: JSON bodies, the error shape `{ error: { name, message, code } }`, and
 * the headers every answer carries.
 */
import type { ServerResponse } from 'node:http';

/** The header naming the version that answered: `<id>-<hash8>`. */
export const VERSION_HEADER = 'hotworker-version';

/** The body of every error answer. */
export interface ErrorBody {
  readonly error: {
    readonly name: string;
    readonly message: string;
    readonly code?: string | number;
    readonly stack?: string;
  };
}

/** Sends `body` as JSON with `status`. The answer is ended; later writes are ignored. */
export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  sendText(response, status, JSON.stringify(body), 'application/json; charset=utf-8', headers);
}

/** Sends an already serialized body. */
export function sendText(
  response: ServerResponse,
  status: number,
  text: string,
  contentType: string,
  headers: Record<string, string> = {},
): void {
  if (response.headersSent || response.writableEnded) return;
  response.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}

/** Sends `{ error: { name, message, code } }` with `status`. */
export function sendError(
  response: ServerResponse,
  status: number,
  error: { name: string; message: string; code?: string | number | undefined; stack?: string | undefined },
  headers: Record<string, string> = {},
): void {
  const body: ErrorBody = {
    error: {
      name: error.name,
      message: error.message,
      ...(error.code !== undefined ? { code: error.code } : {}),
      ...(error.stack !== undefined ? { stack: error.stack } : {}),
    },
  };
  sendJson(response, status, body, headers);
}

/** 405 with the `Allow` header listing the one method the route takes. */
export function sendMethodNotAllowed(response: ServerResponse, method: string | undefined, allowed: string): void {
  sendError(
    response,
    405,
    { name: 'MethodNotAllowed', message: `${method ?? 'This method'} is not allowed here; use ${allowed}`, code: 'ERR_SERVE_METHOD' },
    { allow: allowed },
  );
}
