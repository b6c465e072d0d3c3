// Every bad request `hotworker serve` can get, and the status code it answers.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, callRaw, type ServeProcess, startServe } from './support/serve.js';

let dir: string;
let server: ServeProcess;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hotworker-serve-errors-'));
  copyFileSync(new URL('./fixtures/serve-functions.ts', import.meta.url), join(dir, 'functions.ts'));
  server = await startServe(['functions.ts', '--threads', '2', '--max-body', '1kb', '--call-timeout', '300'], { cwd: dir });
});

afterAll(async () => {
  await server?.stop('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Sends a body of `size` bytes in chunks, without Content-Length, and resolves with the status. */
function streamBody(url: string, size: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/call/echo`, { method: 'POST', headers: { 'transfer-encoding': 'chunked' } }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    // The server stops reading after the limit and closes; writes after that may fail.
    req.on('error', (error) => reject(error));
    const chunk = Buffer.alloc(256, 0x20);
    let sent = 0;
    const pump = () => {
      while (sent < size) {
        sent += chunk.byteLength;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    pump();
  });
}

describe('serve: bad requests', () => {
  it('answers 400 to malformed JSON', async () => {
    const answer = await callRaw(server.url, 'add', '[1, 2');
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: { code: 'ERR_SERVE_BAD_JSON' } });
  });

  it('answers 404 to names that are not exported functions', async () => {
    for (const name of ['missing', '__proto__', 'constructor', 'toString', 'notAFunction', 'hasOwnProperty', 'a%20b']) {
      const answer = await call(server.url, name, []);
      expect(answer.status, name).toBe(404);
      expect(answer.body, name).toMatchObject({ error: { code: 'ERR_HOT_NO_EXPORT' } });
    }
    for (const path of ['/call/', '/call/add/extra', '/nothing-here', '/call/%E0%A4%A']) {
      const response = await fetch(`${server.url}${path}`, { method: 'POST' });
      expect(response.status, path).toBe(404);
      expect(response.headers.get('hotworker-version'), path).toMatch(/^1-[0-9a-f]{8}$/);
    }
  });

  it('answers 405 to a call that is not a POST', async () => {
    const response = await fetch(`${server.url}/call/add`);
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
  });

  it('answers 413 to a body over --max-body, declared or streamed', async () => {
    const declared = await call(server.url, 'echo', 'x'.repeat(2048));
    expect(declared.status).toBe(413);
    expect(declared.body).toMatchObject({ error: { code: 'ERR_SERVE_BODY_TOO_LARGE' } });
    expect(await streamBody(server.url, 64 * 1024)).toBe(413);
    // Just under the limit is fine.
    const under = await call(server.url, 'echo', ['y'.repeat(1000)]);
    expect(under.status).toBe(200);
  });

  it('answers 500 with the error name, message and code, and no stack', async () => {
    const answer = await call(server.url, 'fail', ['no luck']);
    expect(answer.status).toBe(500);
    expect(answer.body).toEqual({ error: { name: 'RangeError', message: 'no luck', code: 'E_FIXTURE' } });
    expect(answer.version).toMatch(/^1-[0-9a-f]{8}$/);
  });

  it('answers 500 when the result cannot be sent as JSON', async () => {
    const answer = await call(server.url, 'bigint');
    expect(answer.status).toBe(500);
    expect(answer.body).toMatchObject({ error: { code: 'ERR_SERVE_RESULT' } });
  });

  // Two threads: the call after the timeout finds a loaded worker while the timed-out one is
  // replaced (on a loaded machine a fresh worker can take longer than the 300 ms limit to boot).
  it('answers 504 when the call runs past --call-timeout, and keeps serving', async () => {
    const answer = await call(server.url, 'spin', [60_000]);
    expect(answer.status).toBe(504);
    expect(answer.body).toMatchObject({ error: { code: 'ERR_HOT_CALL_TIMEOUT' } });
    expect((await call(server.url, 'add', [2, 3])).body).toBe(5);
  });
});
