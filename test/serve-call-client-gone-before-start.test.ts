// A client that leaves after its body arrived and before its call starts: serve starts no call
// for it. Nobody would read the answer, and abandonCall() already ran for that response (when it
// closed), so a call started now would never be aborted: it would run to its end, holding a
// worker, or for good if it never ends. Over HTTP the window is a few microtasks wide, so this
// test hands answerCall() a response that has already closed.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { CallSignal } from '../dist/src/call-signal.js';
import { answerCall } from '../dist/src/serve/call.js';
import { serveFunctionsInProcess } from './support/serve.js';
import { workspace } from './support/workspace.js';

/** A request and its response, from a plain HTTP server, once the client that sent it has gone. */
async function abandonedExchange(ws: ReturnType<typeof workspace>): Promise<{ request: IncomingMessage; response: ServerResponse }> {
  const http = createServer();
  ws.defer(() => new Promise((resolve) => http.close(resolve)));
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  const { port } = http.address() as AddressInfo;
  const arrived = once(http, 'request') as Promise<[IncomingMessage, ServerResponse]>;
  const socket = connect(port, '127.0.0.1');
  const body = '["x"]';
  socket.write(
    `POST /call/echo HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
  );
  const [request, response] = await arrived;
  socket.destroy();
  await once(response, 'close');
  return { request, response };
}

describe('serve: a client gone before its call starts', () => {
  it('starts no call, and counts none', async () => {
    const ws = workspace();
    const server = await serveFunctionsInProcess(ws);
    const { request, response } = await abandonedExchange(ws);
    expect(response.destroyed).toBe(true);

    let started = 0;
    await answerCall(server, request, response, 'echo', (signal: CallSignal) => {
      started += 1;
      return server.module.runWithCallSignal('echo', ['x'], signal);
    });
    expect(started).toBe(0);
    expect(server.openCalls.size).toBe(0);
    // Nothing ran, so nothing was counted for the version.
    expect(server.stats.figures()).toEqual([]);
  });
});
