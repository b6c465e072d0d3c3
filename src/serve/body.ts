/**
 * Reading a request body with a size limit enforced while it streams: a body over the limit
 * is never held in memory whole.
 */
import type { IncomingMessage } from 'node:http';

/** Why a body could not be read. */
export class BodyError extends Error {
  override name = 'BodyError';
  /** `too-large`: over the limit (answer 413); `aborted`: the client went away (answer nothing). */
  readonly reason: 'too-large' | 'aborted';

  constructor(reason: 'too-large' | 'aborted', message: string) {
    super(message);
    this.reason = reason;
  }
}

/**
 * Reads the whole body of `request`, at most `limit` bytes. Rejects {@link BodyError}
 * `too-large` as soon as the declared length or the bytes received pass the limit (the rest
 * is not read), or `aborted` when the client closes the request first.
 */
export async function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    discard(request);
    throw tooLarge(limit);
  }
  // Nothing to wait for: the stream's 'end' would come later, and under load an empty
  // `POST /_hot/upgrade` waited for it before its upgrade could start (bench scenario 7).
  if (declared === 0) return Buffer.alloc(0);
  // A small body mostly comes in the packet that brought the headers. The request is handed
  // over as soon as its headers are read, but one microtask later the parser has put the rest
  // of that packet in the request's buffer: a body whose declared length is all there is taken
  // from it at once, without switching the stream to flowing mode and without four listeners
  // per request (a measurable share of a trivial call's cost, bench scenario 11).
  await undefined;
  if (declared > 0 && request.readableLength === declared && request.readableFlowing !== true) {
    // `read()` hands over everything buffered, joined into one Buffer when it came in pieces.
    return request.read() as Buffer;
  }
  return readStreaming(request, limit);
}

/** Reads the body as it arrives: for one that did not come whole with its headers. */
function readStreaming(request: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onError);
      request.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > limit) {
        cleanup();
        discard(request);
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    };
    const onError = () => {
      cleanup();
      reject(new BodyError('aborted', 'The client aborted the request'));
    };
    const onClose = () => {
      if (request.complete) return;
      onError();
    };
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onError);
    request.on('close', onClose);
  });
}

/** The most of a refused body read (and dropped) so the client can finish sending and read the 413. */
const DISCARD_BYTES = 8 * 1024 * 1024;
/** The longest a refused body is read (and dropped). */
const DISCARD_MS = 5_000;

/**
 * Reads and drops the rest of a refused body. A client still sending when the server closes
 * the connection gets a reset instead of the 413 (EPIPE), so the body is drained, up to a
 * bound; a client sending more than that is cut off.
 */
function discard(request: IncomingMessage): void {
  let dropped = 0;
  const cut = () => request.socket.destroy();
  const timer = setTimeout(cut, DISCARD_MS);
  timer.unref();
  const onData = (chunk: Buffer) => {
    dropped += chunk.byteLength;
    if (dropped > DISCARD_BYTES) cut();
  };
  request.on('data', onData);
  request.once('close', () => {
    clearTimeout(timer);
    request.off('data', onData);
  });
  request.resume();
}

function tooLarge(limit: number): BodyError {
  return new BodyError('too-large', `The request body is larger than the limit of ${limit} bytes (--max-body)`);
}

/**
 * How deeply a JSON body may nest arrays and objects. Deeper values parse, but cannot cross to
 * a worker (structured clone runs out of stack near a few thousand levels, and a result that
 * deep cannot come back): refused up front with a 400 that names the bound.
 */
export const MAX_JSON_DEPTH = 128;

/**
 * The nesting of a JSON text more than {@link MAX_JSON_DEPTH} levels deep, as an Error to
 * answer with; `undefined` when within the bound. One pass over the text, strings skipped.
 */
export function jsonDepthError(text: string): Error | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === 0x5c)
        i++; // backslash: skip the escaped character
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) inString = true;
    else if (code === 0x5b || code === 0x7b) {
      if (++depth > MAX_JSON_DEPTH) {
        return new Error(
          `The request body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep; at most ${MAX_JSON_DEPTH} are accepted`,
        );
      }
    } else if (code === 0x5d || code === 0x7d) depth--;
  }
  return undefined;
}
