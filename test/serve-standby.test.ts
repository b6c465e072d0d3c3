// Standby threads in `hotworker serve`: shown apart in /_hot/status and /metrics; --no-standby turns them off.
import { describe, expect, it } from 'vitest';
import { startServe } from './support/serve.js';
import { workspace } from './support/workspace.js';

async function serveCounter(extra: string[]) {
  const ws = workspace();
  ws.copy('serve-counter.ts', 'counter.ts');
  const server = await startServe(['counter.ts', '--threads', '1', ...extra], { cwd: ws.dir });
  ws.defer(() => server.stop('SIGKILL'));
  return server;
}

async function standbyThreads(url: string): Promise<{ status: number; metric: string | undefined }> {
  const status = (await (await fetch(`${url}/_hot/status`)).json()) as { standbyThreads: number; threads: number };
  const metrics = await (await fetch(`${url}/metrics`)).text();
  return { status: status.standbyThreads, metric: /^hotworker_standby_threads (\d+)$/m.exec(metrics)?.[1] };
}

describe('serve: standby threads', () => {
  it('are shown apart from serving threads in /_hot/status and /metrics', async () => {
    const server = await serveCounter([]);
    await expect.poll(() => standbyThreads(server.url), { timeout: 15_000 }).toEqual({ status: 1, metric: '1' });
  });

  it('are off with --no-standby', async () => {
    const server = await serveCounter(['--no-standby']);
    expect(await standbyThreads(server.url)).toEqual({ status: 0, metric: '0' });
  });
});
