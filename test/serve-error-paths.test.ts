// Error bodies sent to callers without the admin token carry no absolute file path.
import { describe, expect, it } from 'vitest';
import { startServe } from './support/serve.js';
import { workspace } from './support/workspace.js';

const TOKEN = 'paths-test-token-0123456789';

async function post(url: string, fn: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${url}/call/${fn}`, { method: 'POST', headers });
  return { status: response.status, text: await response.text() };
}

/** Any absolute POSIX path of two segments or more, or a file URL. */
const ABSOLUTE = /(^|[\s'"(])(file:\/\/)?\/[^\s/'"]+\/[^\s'"]+/;

describe('serve: no absolute paths to anonymous callers', () => {
  it('redacts paths in the messages and stacks of call errors, and keeps them for the admin', async () => {
    const ws = workspace();
    ws.copy('serve-paths.ts', 'paths.ts');
    const server = await startServe(['paths.ts', '--threads', '1', '--expose-stack', '--admin-token', TOKEN], { cwd: ws.dir });
    ws.defer(() => server.stop('SIGKILL'));

    const anonymous = await post(server.url, 'read');
    expect(anonymous.status).toBe(500);
    expect(anonymous.text).toContain('…/secret.txt');
    expect(JSON.parse(anonymous.text).error.stack).toContain('…/');
    expect(anonymous.text).not.toContain(ws.dir);
    expect(anonymous.text).not.toMatch(ABSOLUTE);

    const admin = await post(server.url, 'read', { authorization: `Bearer ${TOKEN}` });
    expect(admin.text).toContain(ws.dir);

    // The worker dies and its replacement cannot load: the load error names the marker file.
    expect((await post(server.url, 'breakLoading')).status).toBe(500);
    const load = await post(server.url, 'read');
    expect(load.status).toBe(500);
    expect(JSON.parse(load.text)).toMatchObject({ error: { code: 'ERR_HOT_LOAD', message: expect.stringContaining('…/load-fails') } });
    expect(load.text).not.toContain(ws.dir);
    expect(load.text).not.toMatch(ABSOLUTE);
  });
});
