// SIGTERM and SIGINT: stop accepting, finish what is open, close the pools, exit 0.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { call, eventually, rawConnection, serveFunctionsInProcess, startServe } from './support/serve.js';
import { workspace } from './support/workspace.js';

async function inFlight(url: string): Promise<number> {
  const status = (await (await fetch(`${url}/_hot/status`)).json()) as { inFlight: number };
  return status.inFlight;
}

describe('serve: graceful shutdown', () => {
  it('finishes requests in flight at SIGTERM, refuses new connections, and exits 0', async () => {
    const ws = workspace();
    ws.copy('serve-functions.ts', 'functions.ts');
    const server = await startServe(['functions.ts', '--threads', '2'], { cwd: ws.dir });
    ws.defer(() => server.stop('SIGKILL'));
    const calls = Array.from({ length: 4 }, () => call(server.url, 'wait', [400]));
    await eventually(async () => ((await inFlight(server.url)) === 4 ? true : undefined), 'four calls in flight');
    server.child.kill('SIGTERM');
    await server.waitFor(/SIGTERM/);
    const answers = await Promise.all(calls);
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.body).toBe(400);
      expect(answer.headers.get('connection')).toBe('close');
    }
    await expect(fetch(`${server.url}/call/add`, { method: 'POST', body: '[1,2]' })).rejects.toThrow();
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.lines.at(-1)).toMatch(/^\S+Z stopped$/);
  });

  it('answers 503 once the module no longer takes calls', async () => {
    // A request can only meet a closing server in a race (open connections are told to close
    // and idle ones are ended), so the 503 is checked in-process, with the module closed first.
    const ws = workspace();
    const server = await serveFunctionsInProcess(ws);
    expect((await call(server.url, 'add', [1, 2])).status).toBe(200);
    await server.module.close();
    const answer = await call(server.url, 'add', [1, 2]);
    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({ error: { code: 'ERR_HOT_CLOSED' } });
  });

  it('answers 503 ERR_SERVE_CLOSING to a request that arrives on an open connection while closing', async () => {
    // A kept-alive connection busy with a streamed answer (headers already sent) stays open
    // through the shutdown; a request pipelined on it after close() began must be refused.
    const ws = workspace();
    const server = await serveFunctionsInProcess(ws, { entry: ws.copy('serve-streams.ts', 'streams.ts') });
    const endFile = join(ws.dir, 'end-stream');
    const client = rawConnection(ws, server.url);
    const { socket, ended } = client;
    const request = (fn: string, args: unknown[]) => client.request(fn, JSON.stringify(args));
    socket.write(request('until', [endFile, 5]));
    // Its headers and a first value are out: the connection is busy, not idle.
    await new Promise<void>((resolve) => {
      const check = () => {
        if (!/\r\n\r\n[0-9a-f]+\r\n\{/.test(client.received())) return;
        socket.off('data', check);
        resolve();
      };
      socket.on('data', check);
    });

    const closed = server.close();
    socket.write(request('plain', []));
    writeFileSync(endFile, '');
    await ended;
    expect(await closed).toEqual({ forced: false });

    const answers = client.received().split(/(?=HTTP\/1\.1 )/);
    expect(answers).toHaveLength(2);
    expect(answers[0]).toMatch(/^HTTP\/1\.1 200 /);
    const refusal = answers[1] as string;
    expect(refusal).toMatch(/^HTTP\/1\.1 503 /);
    expect(refusal.toLowerCase()).toContain('connection: close');
    const body = JSON.parse(refusal.slice(refusal.indexOf('\r\n\r\n') + 4));
    expect(body).toEqual({ error: { name: 'ServiceUnavailable', message: 'The server is shutting down', code: 'ERR_SERVE_CLOSING' } });
  });

  it('exits 0 on SIGINT too', async () => {
    const ws = workspace();
    ws.copy('serve-functions.ts', 'functions.ts');
    const server = await startServe(['functions.ts', '--threads', '1'], { cwd: ws.dir });
    ws.defer(() => server.stop('SIGKILL'));
    expect((await call(server.url, 'add', [1, 2])).body).toBe(3);
    expect(await server.stop('SIGINT')).toEqual({ code: 0, signal: null });
  });

  it('cuts what is still open at --shutdown-timeout and exits 1', async () => {
    const ws = workspace();
    ws.copy('serve-functions.ts', 'functions.ts');
    const server = await startServe(['functions.ts', '--threads', '1', '--shutdown-timeout', '200'], { cwd: ws.dir });
    ws.defer(() => server.stop('SIGKILL'));
    const stuck = call(server.url, 'spin', [60_000]).catch((error: Error) => error);
    await eventually(async () => ((await inFlight(server.url)) === 1 ? true : undefined), 'the stuck call in flight');
    server.child.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 1, signal: null });
    expect(server.lines.some((line) => /^\S+Z warning: 1 of 1 request still open after 200 ms/.test(line))).toBe(true);
    await stuck;
  });
});
