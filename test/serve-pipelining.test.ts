// HTTP/1.1 pipelining: answers queued on one connection. Node gives a queued answer no 'close'
// when its connection goes, and closes the connection after any answer that asks it to.
import { describe, expect, it } from 'vitest';
import { rawConnection, serveFunctionsInProcess } from './support/serve.js';
import { workspace } from './support/workspace.js';

describe('serve: pipelined requests', () => {
  it('a client that leaves with answers queued: they close and their calls end, so nothing holds a shutdown', async () => {
    const ws = workspace();
    const server = await serveFunctionsInProcess(ws, { shutdownTimeout: 2_000 });
    const client = rawConnection(ws, server.url);
    client.socket.write(client.request('wait', '[5000]') + client.request('wait', '[5001]'));
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
    client.socket.write(client.request('wait', '[200]') + client.request('wait', '[201]'));
    await expect.poll(() => server.module.stats.inFlight).toBe(2);
    const closed = server.close();
    await client.ended;
    expect(await closed).toEqual({ forced: false });
    const answers = client.received().split(/(?=HTTP\/1\.1 )/);
    expect(answers.map((answer) => answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual(['200', '201']);
    expect(answers.map((answer) => /\r\nconnection: close\r\n/i.test(answer))).toEqual([false, true]);
  });
});
