// A failed canary served calls under its own version: its /metrics series go when it fails,
// not at some later upgrade (a pipeline retrying a bad version would grow every scrape).
import { describe, expect, it } from 'vitest';
import { call, serveFunctionsInProcess } from './support/serve.js';
import { workspace } from './support/workspace.js';

describe('serve: metrics after a failed canary', () => {
  it('drops the failed version’s call series', async () => {
    const ws = workspace();
    const server = await serveFunctionsInProcess(ws);
    const metrics = async () => (await fetch(`${server.url}/metrics`)).text();
    expect((await call(server.url, 'add', [1, 2])).status).toBe(200);

    const upgrading = server
      .upgrade('test', { restart: true, canary: { steps: [100], minCalls: 5, maxErrorRate: 0, countUserErrors: true } })
      .catch((error: unknown) => error);
    await expect.poll(() => server.module.rollout?.kind).toBe('canary');
    // Every new call goes to version 2 at 100%; its thrown error fails the step.
    expect((await call(server.url, 'fail', ['no'])).status).toBe(500);
    expect(await upgrading).toMatchObject({ code: 'ERR_HOT_CANARY' });

    const text = await metrics();
    expect(text).not.toMatch(/version="2-/);
    expect(text).toMatch(/^hotworker_calls_total\{fn="add",version="1-\w{8}"\} 1$/m);
  });
});
