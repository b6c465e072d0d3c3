// --max-old-space-mb caps each worker's heap: a worker over it is replaced, the service keeps serving.
import { describe, expect, it } from 'vitest';
import { call, runCli, startServe } from './support/serve.js';
import { workspace } from './support/workspace.js';

describe('serve: worker memory cap', () => {
  it('replaces a worker over --max-old-space-mb with ERR_HOT_WORKER_EXIT and keeps serving', async () => {
    const ws = workspace();
    ws.copy('serve-hog.ts', 'hog.ts');
    const server = await startServe(['hog.ts', '--threads', '1', '--max-old-space-mb', '32', '--max-young-gen-mb', '8'], { cwd: ws.dir });
    ws.defer(() => server.stop('SIGKILL'));
    const answer = await call(server.url, 'hog');
    expect(answer.status).toBe(500);
    expect(answer.body).toMatchObject({ error: { code: 'ERR_HOT_WORKER_EXIT' } });
    await server.waitFor(/a worker of v1 \(\w{8}\) died and was replaced/);
    expect((await call(server.url, 'add', [1, 2])).body).toBe(3);
    expect((await call(server.url, 'add', [2, 3])).body).toBe(5);
  });

  it('refuses a cap too small to start a worker', async () => {
    const ws = workspace();
    ws.copy('serve-hog.ts', 'hog.ts');
    const result = await runCli(['serve', 'hog.ts', '--max-old-space-mb', '4'], { cwd: ws.dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--max-old-space-mb must be an integer from 16 to/);
  });
});
