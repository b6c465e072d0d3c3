// HTTP/1.1 pipelining: answers queued on one connection. Node gives a queued answer no 'close'
// when its connection goes, and closes the connection after any answer that asks it to.
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { serveFunctionsInProcess } from './support/serve.js';
import { type Workspace, workspace } from './support/workspace.js';

/** A raw connection to `url`, closed at the end of the test, with everything it received. */
function rawConnection(
  ws: Workspace,
  url: string,
): { socket: Socket; received: () => string; send: (fn: string, args: unknown[]) => void } {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  ws.defer(() => socket.destroy());
  let received = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => {
    received += chunk;
  });
  return {
    socket,
    received: () => received,
    send(fn, args) {
      const body = JSON.stringify(args);
      socket.write(`POST /call/${fn} HTTP/1.1\r\nhost: ${hostname}:${port}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    },
  };
}

describe('serve: pipelined requests', () => {
  it('a client that leaves with answers queued: they close and their calls end, so nothing holds a shutdown', async () => {
    const ws = workspace();
    const server = await serveFunctionsInProcess(ws, { shutdownTimeout: 2_000 });
    const client = rawConnection(ws, server.url);
    client.send('wait', [5_000]);
    client.send('wait', [5_001]);
    await expect.poll(() => server.module.stats.inFlight).toBe(2);
    client.socket.destroy();
    // The queued call is abandoned with its answer, the running one too.
    await expect.poll(() => server.module.stats.inFlight).toBe(0);
    expect(await server.close()).toEqual({ forced: false });
  });

  it('at shutdown, every answer accepted on the connection is sent; only the last asks to close it', async () => {
    const ws = workspace();
    const server = await serveFunctionsInProcess(ws, { shutdownTimeout: 10_000 });
    const client = rawConnection(ws, server.url);
    const ended = once(client.socket, 'end');
    client.send('wait', [200]);
    client.send('wait', [201]);
    await expect.poll(() => server.module.stats.inFlight).toBe(2);
    const closed = server.close();
    await ended;
    expect(await closed).toEqual({ forced: false });
    const answers = client.received().split(/(?=HTTP\/1\.1 )/);
    expect(answers.map((answer) => answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual(['200', '201']);
    expect(answers.map((answer) => /\r\nconnection: close\r\n/i.test(answer))).toEqual([false, true]);
  });
});
