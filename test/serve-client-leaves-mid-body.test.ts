// A client that leaves while it is still sending its body has no call to abort yet: serve only
// stops reading, and keeps serving everyone else.
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { call, serveFunctionsInProcess } from './support/serve.js';
import { workspace } from './support/workspace.js';

describe('serve: a client that leaves mid-body', () => {
  it('is forgotten without an error, and the next call is answered', async () => {
    const server = await serveFunctionsInProcess(workspace(), { shutdownTimeout: 5000 });
    const { hostname, port } = new URL(server.url);
    const socket = connect(Number(port), hostname);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.setEncoding('utf8');
    const continued = new Promise<string>((resolve) => socket.once('data', resolve));
    socket.write(
      `POST /call/echo HTTP/1.1\r\nhost: ${hostname}:${port}\r\ncontent-type: application/json\r\ncontent-length: 100\r\nexpect: 100-continue\r\n\r\n`,
    );
    // The server has routed the request and waits for its body.
    expect(await continued).toMatch(/^HTTP\/1\.1 100 Continue/);
    await new Promise<void>((resolve) => socket.write('["only part', () => resolve()));
    socket.destroy();
    expect((await call(server.url, 'add', [1, 2])).body).toBe(3);
    // close() waits for every answer to close, this one included: not forced means it was let go.
    expect(await server.close()).toEqual({ forced: false });
  });
});
