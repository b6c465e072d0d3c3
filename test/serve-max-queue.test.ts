// serve --max-queue: a request that would wait beyond the bound is answered 503 with
// Retry-After at once, counted in /metrics under ERR_HOT_QUEUE_FULL but not as the version's
// error; requests are served again once the queue has room.
import { describe, expect, it } from 'vitest';
import { call, eventually, serveFunctionsInProcess } from './support/serve.js';
import { workspace } from './support/workspace.js';

describe('serve: --max-queue', () => {
  it('answers 503 with Retry-After beyond the queue, and serves again once it drains', async () => {
    const server = await serveFunctionsInProcess(workspace(), { threads: 1, maxQueue: 0 });
    // A call that holds the only thread until its client goes away (serve then stops it).
    const client = new AbortController();
    const long = fetch(`${server.url}/call/wait`, { method: 'POST', body: '[60000]', signal: client.signal }).catch(() => undefined);
    await eventually(async () => (server.module.stats.inFlight === 1 ? true : undefined), 'the long call to start');

    const refused = await call(server.url, 'add', [1, 2]);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.body).toMatchObject({ error: { name: 'HotError', code: 'ERR_HOT_QUEUE_FULL' } });

    client.abort();
    await long;
    await eventually(async () => (server.module.stats.inFlight === 0 ? true : undefined), 'the long call to end');
    const served = await call(server.url, 'add', [1, 2]);
    expect(served).toMatchObject({ status: 200, body: 3 });

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain(`hotworker_call_errors_total{fn="add",version="${served.version}",kind="ERR_HOT_QUEUE_FULL"} 1`);
    // The version's own figures: the aborted long call is its only error; the shed one is not.
    expect(server.stats.figures()).toEqual([expect.objectContaining({ version: served.version, errors: 1 })]);
  });
});
