/**
 * The answers open on each connection, oldest first. With HTTP/1.1 pipelining, a client may
 * send several requests before reading any answer; Node queues their answers on the
 * connection and writes them in order. Two things follow that the server must handle itself:
 *
 * - a queued answer whose connection closes gets no 'close' event (only the one being written
 *   does), so without this list it would stay open for good, and its call would run on for a
 *   client that is gone;
 * - `connection: close` on an answer makes Node close the connection once it is written, so at
 *   shutdown only the last answer of each connection may ask for it, or those queued behind it
 *   would never be sent.
 *
 * The list lives on the socket: one listener per connection, none per request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

const ANSWERS = Symbol('hotworker.connectionAnswers');

type Connection = Socket & { [ANSWERS]?: ServerResponse[] };

/**
 * Adds `response` to its connection's list. The first time a connection is seen,
 * `onClosed(answers)` is registered for when it closes, with the answers then still open.
 */
export function trackAnswer(request: IncomingMessage, response: ServerResponse, onClosed: (answers: ServerResponse[]) => void): void {
  const connection = request.socket as Connection;
  const answers = connection[ANSWERS];
  if (answers !== undefined) {
    answers.push(response);
    return;
  }
  const first = [response];
  connection[ANSWERS] = first;
  connection.once('close', () => onClosed(first.splice(0)));
}

/** Removes an answer that has closed from its connection's list; one not listed is ignored. */
export function untrackAnswer(response: ServerResponse): void {
  const answers = (response.req?.socket as Connection | null | undefined)?.[ANSWERS];
  if (answers === undefined) return;
  const at = answers.indexOf(response);
  if (at !== -1) answers.splice(at, 1);
}

/** True when no answer was queued on the connection after `response`: the one that may close it. */
export function lastOnConnection(response: ServerResponse): boolean {
  const answers = (response.req?.socket as Connection | null | undefined)?.[ANSWERS];
  return answers === undefined || answers.at(-1) === response;
}
