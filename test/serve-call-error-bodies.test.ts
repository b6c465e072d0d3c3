// The body of each error answer to POST /call/<fn>, field by field: the name, the message a
// caller can act on, the code, and only the fields that carry something.
import { describe, expect, it } from 'vitest';
import { callRaw, rawRequest, serveFunctionsInProcess } from './support/serve.js';
import { workspace } from './support/workspace.js';

async function serve(fixture: string, options: { maxBody?: number } = {}) {
  const ws = workspace();
  return serveFunctionsInProcess(ws, { entry: ws.copy(fixture, 'module.ts'), ...options });
}

describe('serve: the bodies of error answers', () => {
  it('400 BadRequest says the body is not JSON, with the parser’s reason', async () => {
    const server = await serve('serve-functions.ts');
    const answer = await callRaw(server.url, 'add', '[1, 2');
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      error: { name: 'BadRequest', message: expect.stringMatching(/^The request body is not valid JSON: \S/), code: 'ERR_SERVE_BAD_JSON' },
    });
  });

  it('404 NotFound names the module, the version and its functions', async () => {
    const server = await serve('serve-functions.ts');
    const answer = await callRaw(server.url, 'missing');
    expect(answer.status).toBe(404);
    expect(server.module.version.functions).toContain('add');
    expect(answer.body).toEqual({
      error: {
        name: 'NotFound',
        message: `missing is not an exported function of module.ts (version ${answer.version}); exported functions: ${server.module.version.functions.join(', ')}`,
        code: 'ERR_HOT_NO_EXPORT',
      },
    });
  });

  it('404 before the body is read: an unknown name with a body that is not JSON', async () => {
    const server = await serve('serve-functions.ts');
    const answer = await callRaw(server.url, 'missing', '[1, 2');
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ error: { code: 'ERR_HOT_NO_EXPORT' } });
  });

  it('413 PayloadTooLarge', async () => {
    const server = await serve('serve-functions.ts', { maxBody: 64 });
    const answer = await callRaw(server.url, 'echo', JSON.stringify('x'.repeat(100)));
    expect(answer.status).toBe(413);
    expect(answer.body).toEqual({ error: { name: 'PayloadTooLarge', message: expect.any(String), code: 'ERR_SERVE_BODY_TOO_LARGE' } });
  });

  it('500 for a result JSON cannot carry names the function and the reason, with the version', async () => {
    const server = await serve('serve-functions.ts');
    const answer = await callRaw(server.url, 'bigint');
    expect(answer.status).toBe(500);
    expect(answer.version).toMatch(/^1-[0-9a-f]{8}$/);
    expect(answer.body).toEqual({
      error: {
        name: 'TypeError',
        message: expect.stringMatching(/^bigint\(\) returned a value that cannot be sent as JSON: \S/),
        code: 'ERR_SERVE_RESULT',
      },
    });
  });

  it('500 keeps a string or number code, drops any other, and says when the value thrown was no error', async () => {
    const server = await serve('serve-thrown.ts');
    expect((await callRaw(server.url, 'numberCode')).body).toEqual({ error: { name: 'Error', message: 'numbered', code: 42 } });
    expect((await callRaw(server.url, 'objectCode')).body).toEqual({ error: { name: 'Error', message: 'odd code' } });
    expect((await callRaw(server.url, 'noCode')).body).toEqual({ error: { name: 'TypeError', message: 'plain' } });
    const thrown = await callRaw(server.url, 'throwString');
    expect(thrown.status).toBe(500);
    expect(thrown.body).toEqual({ error: { name: 'Error', message: 'Non-error value thrown: "not an error"' } });
  });

  it('503 ServiceUnavailable once the module takes no more calls, and asks the client to close the connection', async () => {
    const server = await serve('serve-functions.ts');
    const version = (await callRaw(server.url, 'add', '[1,2]')).version;
    await server.module.close();
    const answer = await rawRequest(server.url, {
      method: 'POST',
      path: '/call/add',
      headers: { host: new URL(server.url).host },
      body: '[1,2]',
    });
    expect(answer.status).toBe(503);
    expect(answer.headers.connection).toBe('close');
    expect(answer.headers['hotworker-version']).toBe(version);
    expect(JSON.parse(answer.body)).toEqual({
      error: { name: 'ServiceUnavailable', message: 'The server is shutting down', code: 'ERR_HOT_CLOSED' },
    });
  });
});
