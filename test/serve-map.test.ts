// POST /map/<fn>: a JSON array of inputs in, the JSON array of results out, one version.
import { describe, expect, it } from 'vitest';
import { serveFunctionsInProcess } from './support/serve.js';
import { workspace } from './support/workspace.js';

async function map(url: string, fn: string, body: string, query = ''): Promise<{ status: number; body: unknown; version: string | null }> {
  const answer = await fetch(`${url}/map/${fn}${query}`, { method: 'POST', body });
  return { status: answer.status, body: await answer.json(), version: answer.headers.get('hotworker-version') };
}

describe('serve: POST /map/<fn>', () => {
  it('answers the results in input order, from one version', async () => {
    const ws = workspace();
    const server = await serveFunctionsInProcess(ws, { entry: ws.copy('map.ts'), threads: 2 });
    const inputs = Array.from({ length: 500 }, (_, i) => i);
    const answer = await map(server.url, 'square', JSON.stringify(inputs), '?chunkSize=7');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(inputs.map((n) => n * n));
    expect(answer.version).toMatch(/^1-[0-9a-f]{8}$/);
    expect((await map(server.url, 'square', '[]')).body).toEqual([]);
  });

  it("fails with the first input's error, or answers every outcome with ?settle=true", async () => {
    const ws = workspace();
    const server = await serveFunctionsInProcess(ws, { entry: ws.copy('map.ts') });
    const failed = await map(server.url, 'failOdd', '[2, 3, 4]');
    expect(failed.status).toBe(500);
    expect(failed.body).toEqual({ error: { name: 'RangeError', message: 'odd input 3' } });
    const settled = await map(server.url, 'failOdd', '[2, 3]', '?settle=true');
    expect(settled.status).toBe(200);
    expect(settled.body).toEqual([
      { status: 'fulfilled', value: 2 },
      { status: 'rejected', reason: { name: 'RangeError', message: 'odd input 3' } },
    ]);
    const unclonable = await map(server.url, 'badResult', '[1, 3]');
    expect(unclonable.status).toBe(500);
    expect(unclonable.body).toMatchObject({ error: { code: 'ERR_HOT_CLONE', message: /results\[1\]\.keep/ } });
  });

  it('refuses what it cannot map: 400, 404, 405', async () => {
    const ws = workspace();
    const server = await serveFunctionsInProcess(ws, { entry: ws.copy('map.ts') });
    expect(await map(server.url, 'square', '{"a":1}')).toMatchObject({
      status: 400,
      body: { error: { code: 'ERR_SERVE_BAD_JSON', message: /JSON array of inputs/ } },
    });
    expect(await map(server.url, 'square', '[1,')).toMatchObject({ status: 400, body: { error: { code: 'ERR_SERVE_BAD_JSON' } } });
    expect(await map(server.url, 'square', '[1]', '?chunkSize=0')).toMatchObject({
      status: 400,
      body: { error: { code: 'ERR_SERVE_BAD_QUERY' } },
    });
    expect(await map(server.url, 'square', '[1]', '?settle=yes')).toMatchObject({
      status: 400,
      body: { error: { code: 'ERR_SERVE_BAD_QUERY' } },
    });
    expect(await map(server.url, 'square', '[1]', '?chunk=2')).toMatchObject({
      status: 400,
      body: { error: { message: /Unknown query parameter `chunk`/ } },
    });
    expect(await map(server.url, 'numbers', '[1]')).toMatchObject({ status: 400, body: { error: { code: 'ERR_HOT_CALL_KIND' } } });
    expect(await map(server.url, 'nope', '[1]')).toMatchObject({ status: 404, body: { error: { code: 'ERR_HOT_NO_EXPORT' } } });
    const get = await fetch(`${server.url}/map/square`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });

  it('aborts the map when the client disconnects: the inputs not started never run', async () => {
    const ws = workspace();
    const server = await serveFunctionsInProcess(ws, { entry: ws.copy('map.ts'), threads: 1 });
    const client = new AbortController();
    const answer = fetch(`${server.url}/map/spinCounted?chunkSize=1`, {
      method: 'POST',
      body: JSON.stringify(Array(10).fill(200)),
      signal: client.signal,
    });
    answer.catch(() => undefined);
    // In flight: the map itself, and its chunks sent so far.
    await expect.poll(() => server.module.stats.inFlight > 0, { timeout: 10_000 }).toBe(true);
    client.abort();
    await expect.poll(() => server.module.stats.inFlight, { timeout: 10_000 }).toBe(0);
    // The input running when the client left finished; of the ten, no more than the one queued behind it ran.
    expect(await server.module.call('spunCount')).toBeLessThanOrEqual(2);
    expect(await server.metrics.render()).toMatch(/hotworker_call_errors_total\{[^}]*fn="spinCounted"[^}]*kind="client-gone"[^}]*\} 1/);
  });
});
