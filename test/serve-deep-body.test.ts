// A JSON body nested deeper than serve accepts: a 400 naming the bound, and the service goes on.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, callRaw, type ServeProcess, startServe } from './support/serve.js';

let dir: string;
let server: ServeProcess;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hotworker-serve-deep-'));
  copyFileSync(new URL('./fixtures/serve-functions.ts', import.meta.url), join(dir, 'functions.ts'));
  server = await startServe(['functions.ts', '--threads', '1'], { cwd: dir });
});

afterAll(async () => {
  await server?.stop('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('serve: JSON nesting depth', () => {
  it('a 20 KB body nested 10,000 deep: 400 with the bound in the message; the next call works', async () => {
    const answer = await callRaw(server.url, 'echo', `${'['.repeat(10_000)}${']'.repeat(10_000)}`);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({
      error: { code: 'ERR_SERVE_BAD_JSON', message: expect.stringContaining('more than 128 levels deep; at most 128 are accepted') },
    });
    expect(await call(server.url, 'add', [2, 3])).toMatchObject({ status: 200, body: 5 });
  });

  it('128 levels, brackets inside strings not counted: accepted', async () => {
    const nested = `${'['.repeat(128)}"[[[[{{{{"${']'.repeat(128)}`;
    const answer = await callRaw(server.url, 'echo', nested);
    expect(answer.status).toBe(200);
  });
});
