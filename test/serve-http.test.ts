// POST /call/<fn>: arguments in, JSON result out, and the answering version on every answer.
import { once } from 'node:events';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, callRaw, type ServeProcess, startServe } from './support/serve.js';

let dir: string;
let server: ServeProcess;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hotworker-serve-http-'));
  copyFileSync(new URL('./fixtures/serve-functions.ts', import.meta.url), join(dir, 'functions.ts'));
  server = await startServe(['functions.ts', '--threads', '1', '--expose-stack'], { cwd: dir });
});

afterAll(async () => {
  await server?.stop('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('serve: calls over HTTP', () => {
  it('takes a JSON array as the arguments and answers the JSON result', async () => {
    const answer = await call(server.url, 'add', [2, 3]);
    expect(answer.status).toBe(200);
    expect(answer.body).toBe(5);
    expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect((await call(server.url, 'echo', [{ a: [1, 'x'] }, null, true])).body).toEqual([{ a: [1, 'x'] }, null, true]);
  });

  it('takes any other JSON value as the one argument, and no body as no argument', async () => {
    expect((await call(server.url, 'echo', 'hello')).body).toEqual(['hello']);
    expect((await call(server.url, 'echo', { a: 1 })).body).toEqual([{ a: 1 }]);
    expect((await call(server.url, 'echo', 7)).body).toEqual([7]);
    expect((await call(server.url, 'echo')).body).toEqual([]);
    expect((await callRaw(server.url, 'echo', '  \n')).body).toEqual([]);
  });

  it('answers null for a function that returns nothing', async () => {
    const answer = await call(server.url, 'nothing');
    expect(answer.status).toBe(200);
    expect(answer.body).toBeNull();
  });

  it('names the answering version, <id>-<hash8>, on every answer', async () => {
    const status = (await (await fetch(`${server.url}/_hot/status`)).json()) as { version: { id: number; hash: string } };
    const expected = `${status.version.id}-${status.version.hash.slice(0, 8)}`;
    expect(expected).toMatch(/^1-[0-9a-f]{8}$/);
    const answers = await Promise.all([
      fetch(`${server.url}/call/add`, { method: 'POST', body: '[1,1]' }),
      fetch(`${server.url}/call/fail`, { method: 'POST', body: '"x"' }),
      fetch(`${server.url}/call/missing`, { method: 'POST' }),
      fetch(`${server.url}/_hot/status`),
      fetch(`${server.url}/metrics`),
      fetch(`${server.url}/`),
      fetch(`${server.url}/nowhere`),
    ]);
    for (const answer of answers) {
      await answer.arrayBuffer();
      expect(answer.headers.get('hotworker-version'), answer.url).toBe(expected);
    }
  });

  it('lists the exports at GET /', async () => {
    const index = (await (await fetch(`${server.url}/`)).json()) as { module: string; exports: string[] };
    expect(index.module).toBe('functions.ts');
    expect(index.exports).toEqual(expect.arrayContaining(['add', 'echo', 'fail', 'notAFunction']));
  });

  it('answers HEAD wherever it answers GET: /, /metrics', async () => {
    for (const path of ['/', '/metrics']) {
      const head = await fetch(`${server.url}${path}`, { method: 'HEAD' });
      expect(head.status, path).toBe(200);
      expect(await head.text(), path).toBe('');
    }
  });

  it('takes a request target in absolute form (http://host/call/add), as HTTP/1.1 requires', async () => {
    const { hostname, port } = new URL(server.url);
    const socket = connect(Number(port), hostname);
    let received = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => {
      received += chunk;
    });
    const ended = once(socket, 'end');
    socket.write(
      `POST ${server.url}/call/add HTTP/1.1\r\nhost: ${hostname}:${port}\r\nconnection: close\r\ncontent-length: 5\r\n\r\n[2,3]`,
    );
    await ended;
    expect(received).toMatch(/^HTTP\/1\.1 200 /);
    expect(received.slice(received.indexOf('\r\n\r\n') + 4)).toBe('5');
  });

  it('includes the stack in a 500 with --expose-stack', async () => {
    const answer = (await call(server.url, 'fail', ['with stack'])) as { status: number; body: { error: { stack?: string } } };
    expect(answer.status).toBe(500);
    // The worker maps the bundle back to the module's own source.
    expect(answer.body.error.stack).toMatch(/functions\.ts:\d+/);
  });
});
