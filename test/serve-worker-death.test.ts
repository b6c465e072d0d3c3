// A worker that dies under a call (process.exit, an uncaught exception): that caller gets 500
// with ERR_HOT_WORKER_EXIT, the worker is replaced, and the service keeps answering.
import { describe, expect, it } from 'vitest';
import { call, startServe } from './support/serve.js';
import { workspace } from './support/workspace.js';

async function crashServer() {
  const ws = workspace();
  ws.copy('serve-crash.ts', 'crash.ts');
  // One thread: the call after the death can only be answered by the replacement worker.
  const server = await startServe(['crash.ts', '--threads', '1'], { cwd: ws.dir });
  ws.defer(() => server.stop('SIGKILL'));
  return server;
}

describe('serve: a worker that dies during a call', () => {
  it('process.exit(): 500 ERR_HOT_WORKER_EXIT naming the function and exit code; the next call is served', async () => {
    const server = await crashServer();
    const answer = await call(server.url, 'exit', [7]);
    expect(answer.status).toBe(500);
    expect(answer.version).toMatch(/^1-[0-9a-f]{8}$/);
    expect(answer.body).toEqual({
      error: { name: 'HotError', code: 'ERR_HOT_WORKER_EXIT', message: expect.stringMatching(/exit\(\) of version 1 exited with code 7/) },
    });
    await server.waitFor(/a worker of v1 \(\w{8}\) died and was replaced/);
    expect((await call(server.url, 'add', [1, 2])).body).toBe(3);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain(`hotworker_worker_crashes_total{version="${answer.version}"} 1`);
    expect(metrics).toMatch(/^hotworker_calls_resent_total 0$/m);
    const status = (await (await fetch(`${server.url}/_hot/status`)).json()) as { crashes: number; resentCalls: number };
    expect(status).toMatchObject({ crashes: 1, resentCalls: 0 });
  });

  it('an uncaught exception while the call waits: 500 ERR_HOT_WORKER_EXIT with its message; the next call is served', async () => {
    const server = await crashServer();
    const answer = await call(server.url, 'throwSoon', ['boom in a timer']);
    expect(answer.status).toBe(500);
    expect(answer.body).toMatchObject({
      error: { code: 'ERR_HOT_WORKER_EXIT', message: expect.stringContaining('boom in a timer') },
    });
    expect((await call(server.url, 'add', [2, 3])).body).toBe(5);
  });
});
