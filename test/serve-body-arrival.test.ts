// serve takes a body that came whole with its headers straight from the request's buffer, and
// reads one that is still arriving as it streams: both give the same answers, and both refuse
// a body over maxBody with 413, with or without a declared length.
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { serveFunctionsInProcess } from './support/serve.js';
import { workspace } from './support/workspace.js';

const MAX_BODY = 1024;

async function serve() {
  const server = await serveFunctionsInProcess(workspace(), { maxBody: MAX_BODY });
  const { hostname, port } = new URL(server.url);
  return { host: `${hostname}:${port}`, port: Number(port) };
}

/** An open connection and what it has received so far. */
async function open(port: number): Promise<{ socket: Socket; received: () => string; until: (pattern: RegExp) => Promise<string> }> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let text = '';
  const waiting = new Set<() => void>();
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    text += chunk;
    for (const wake of waiting) wake();
  });
  const until = (pattern: RegExp) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        if (!pattern.test(text)) return;
        waiting.delete(check);
        resolve(text);
      };
      socket.once('close', () => reject(new Error(`connection closed before ${pattern}; got: ${text}`)));
      waiting.add(check);
      check();
    });
  return { socket, received: () => text, until };
}

/** Sends `pieces` as separate writes, each once the previous one is flushed to the kernel. */
async function sendInPieces(socket: Socket, pieces: readonly string[]): Promise<void> {
  for (const piece of pieces) {
    await new Promise<void>((resolve, reject) => socket.write(piece, (error) => (error ? reject(error) : resolve())));
  }
}

/** `POST /call/echo` with `body` whole, its length declared. */
function echoRequest(host: string, body: string): string {
  return `POST /call/echo HTTP/1.1\r\nhost: ${host}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`;
}

const ANSWER = /\r\n\r\n(\[.*\]|\{.*\})$/s;

function status(text: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
}

describe('serve: request bodies however they arrive', () => {
  it('a body in the same write as its headers, twice on one connection', async () => {
    const { host, port } = await serve();
    const { socket, until, received } = await open(port);
    const request = (body: string) => echoRequest(host, body);
    socket.write(request('[1,"two",{"three":3}]'));
    const text = await until(ANSWER);
    expect(status(text)).toBe(200);
    expect(JSON.parse(ANSWER.exec(text)?.[1] ?? '')).toEqual([1, 'two', { three: 3 }]);
    socket.write(request('["again"]'));
    await until(/\["again"\]$/);
    expect(received().match(/HTTP\/1\.1 200 /g)).toHaveLength(2);
    socket.destroy();
  });

  it('an empty body (content-length: 0) twice on one connection, then a body on it', async () => {
    const { host, port } = await serve();
    const { socket, until, received } = await open(port);
    const request = (body: string) => echoRequest(host, body);
    socket.write(request(''));
    expect(JSON.parse(ANSWER.exec(await until(ANSWER))?.[1] ?? '')).toEqual([]);
    socket.write(request(''));
    await until(/(HTTP\/1\.1 200 [\s\S]*){2}/);
    socket.write(request('["after"]'));
    await until(/\["after"\]$/);
    expect(received().match(/HTTP\/1\.1 200 /g)).toHaveLength(3);
    socket.destroy();
  });

  it('a body sent after the server asked for it (Expect: 100-continue), in three writes', async () => {
    const { host, port } = await serve();
    const { socket, until } = await open(port);
    const body = '["a","b","c"]';
    socket.write(
      `POST /call/echo HTTP/1.1\r\nhost: ${host}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nexpect: 100-continue\r\n\r\n`,
    );
    // The headers are read and answered before a byte of the body exists: it has to stream.
    await until(/^HTTP\/1\.1 100 Continue\r\n\r\n/);
    await sendInPieces(socket, [body.slice(0, 4), body.slice(4, 9), body.slice(9)]);
    const text = await until(ANSWER);
    expect(status(text.slice(text.indexOf('\r\n\r\n') + 4))).toBe(200);
    expect(JSON.parse(ANSWER.exec(text)?.[1] ?? '')).toEqual(['a', 'b', 'c']);
    socket.destroy();
  });

  it('a chunked body (no declared length), whole or in pieces, and two calls on one connection', async () => {
    const { host, port } = await serve();
    const { socket, until, received } = await open(port);
    const head = `POST /call/add HTTP/1.1\r\nhost: ${host}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n`;
    socket.write(`${head}3\r\n[2,\r\n2\r\n3]\r\n0\r\n\r\n`);
    await until(/\r\n\r\n5$/);
    await sendInPieces(socket, [head, '2\r\n[4\r\n', '3\r\n,5]\r\n', '0\r\n\r\n']);
    await until(/\r\n\r\n5.*\r\n\r\n9$/s);
    expect(received().match(/HTTP\/1\.1 200 /g)).toHaveLength(2);
    socket.destroy();
  });

  it('a chunked body over maxBody: 413 whether it came whole or streams', async () => {
    const { host, port } = await serve();
    const big = `["${'x'.repeat(MAX_BODY + 100)}"]`;
    const chunk = `${big.length.toString(16)}\r\n${big}\r\n0\r\n\r\n`;
    const head = `POST /call/echo HTTP/1.1\r\nhost: ${host}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n`;

    const whole = await open(port);
    whole.socket.write(head + chunk);
    expect(status(await whole.until(/\r\n\r\n\{.*\}$/s))).toBe(413);
    expect(whole.received()).toContain('ERR_SERVE_BODY_TOO_LARGE');
    whole.socket.destroy();

    const streamed = await open(port);
    streamed.socket.write(`${head.replace('\r\n\r\n', '\r\nexpect: 100-continue\r\n\r\n')}`);
    await streamed.until(/^HTTP\/1\.1 100 Continue\r\n\r\n/);
    await sendInPieces(streamed.socket, [chunk.slice(0, 600), chunk.slice(600)]);
    const text = await streamed.until(/\r\n\r\n\{.*\}$/s);
    expect(status(text.slice(text.indexOf('\r\n\r\n') + 4))).toBe(413);
    streamed.socket.destroy();
  });
});
