// A worker that replaces a dead one and loads without a function the version exported: serve
// answers that call 404 ERR_HOT_NO_EXPORT, as for a name the version never had, and does not
// count it as an error of the version.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { callRaw, serveFunctionsInProcess } from './support/serve.js';
import { workspace } from './support/workspace.js';

const MARKER = 'HOTWORKER_TEST_RELOAD_MARKER';

describe('serve: a function its worker lost', () => {
  it('answers 404 ERR_HOT_NO_EXPORT and counts no error', async () => {
    const ws = workspace();
    // Workers copy the environment when they start: set before the server starts its pool.
    process.env[MARKER] = join(ws.dir, 'marker');
    ws.defer(() => {
      delete process.env[MARKER];
    });
    const server = await serveFunctionsInProcess(ws, { entry: ws.copy('reloads-differently.ts', 'module.ts') });
    expect((await callRaw(server.url, 'add', '[1,2]')).body).toBe(3);
    expect((await callRaw(server.url, 'breakNext', '"drop"')).body).toMatchObject({ error: { code: 'ERR_HOT_WORKER_EXIT' } });

    const lost = await callRaw(server.url, 'add', '[1,2]');
    expect(lost.status).toBe(404);
    expect(lost.version).toMatch(/^1-[0-9a-f]{8}$/);
    expect(lost.body).toEqual({
      error: {
        name: 'NotFound',
        message: `add is not an exported function of module.ts (version ${lost.version}); exported functions: ${server.module.version.functions.join(', ')}`,
        code: 'ERR_HOT_NO_EXPORT',
      },
    });
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toContain(`hotworker_call_errors_total{fn="breakNext",version="${lost.version}",kind="ERR_HOT_WORKER_EXIT"} 1`);
    expect(text).not.toMatch(/hotworker_call_errors_total\{fn="add"/);
    expect(text).toContain(`hotworker_calls_total{fn="add",version="${lost.version}"} 1`);
  });
});
