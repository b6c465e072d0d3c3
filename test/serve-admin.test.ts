// The admin API (/_hot/status, /_hot/upgrade, /_hot/rollback), SIGHUP, /metrics, and admin auth.
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { call, startServe } from './support/serve.js';
import { workspace } from './support/workspace.js';

interface Status {
  version: { id: number; hash: string; label: string };
  history: { id: number; label: string }[];
  threads: number;
  inFlight: number;
  alive: { version: string; inFlight: number; threads: number }[];
  versions: { version: string; calls: number; errors: number; latencyMs: { p50: number; p90: number; p99: number; max: number } | null }[];
  upgrades: { done: number; unchanged: number; failed: number };
  rollbacks: { done: number; failed: number };
  lastFailure: { code: string; message: string; where: string } | null;
}

/** An admin request as a client would send it: a body goes as `application/json`. */
async function admin(url: string, action: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const json: Record<string, string> = init.body === undefined ? {} : { 'content-type': 'application/json' };
  const response = await fetch(`${url}/_hot/${action}`, {
    method: action === 'status' ? 'GET' : 'POST',
    ...init,
    headers: { ...json, ...(init.headers as Record<string, string> | undefined) },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function serveCounter(extra: string[] = []) {
  const ws = workspace();
  const entry = ws.copy('serve-counter.ts', 'counter.ts');
  const server = await startServe(['counter.ts', '--threads', '1', ...extra], { cwd: ws.dir });
  ws.defer(() => server.stop('SIGKILL'));
  const mark = (value: string) => writeFileSync(entry, readFileSync(entry, 'utf8').replace(/MARK = '\w+'/, `MARK = '${value}'`));
  return { ws, entry, server, mark };
}

describe('serve: admin API', () => {
  it('upgrades, restarts and rolls back through /_hot/*, and shows it in /_hot/status', async () => {
    const { server, mark, entry } = await serveCounter();
    const first = await call(server.url, 'mark');
    expect(first.body).toBe('one');

    const unchanged = await admin(server.url, 'upgrade');
    expect(unchanged.status).toBe(200);
    expect(unchanged.body).toMatchObject({ changed: false, version: { id: 1 } });

    mark('two');
    const upgraded = await admin(server.url, 'upgrade');
    expect(upgraded.body).toMatchObject({ changed: true, previous: { id: 1 }, version: { id: 2 } });
    const second = await call(server.url, 'mark');
    expect(second.body).toBe('two');
    expect(second.version).not.toBe(first.version);
    expect(second.version).toMatch(/^2-/);

    const restarted = await admin(server.url, 'upgrade', { body: '{"restart":true}' });
    expect(restarted.body).toMatchObject({ changed: true, version: { id: 3, hash: (upgraded.body.version as { hash: string }).hash } });

    const rolledBack = await admin(server.url, 'rollback');
    expect(rolledBack.status).toBe(200);
    expect(rolledBack.body).toMatchObject({ previous: { id: 3 }, version: { id: 2 } });
    await server.waitFor(/^\S+Z rollback: v3 \(\w{8}\) → v2 \(\w{8}\) in [\d.]+ m?s, drained \d+ calls?$/);

    writeFileSync(entry, 'export function mark( {');
    const broken = await admin(server.url, 'upgrade');
    expect(broken.status).toBe(422);
    expect(broken.body).toMatchObject({ error: { code: 'ERR_HOT_BUILD', message: expect.stringMatching(/counter\.ts:1:\d+/) } });
    expect((await call(server.url, 'mark')).body).toBe('two');

    const status = (await admin(server.url, 'status')).body as unknown as Status;
    expect(status.version.label).toBe(second.version);
    expect(status.history.map((version) => version.id)).toEqual([1, 2]);
    expect(status.threads).toBe(1);
    expect(status.inFlight).toBe(0);
    expect(status.alive).toEqual([{ version: second.version, inFlight: 0, threads: 1 }]);
    expect(status.upgrades).toEqual({ done: 2, unchanged: 1, failed: 1 });
    expect(status.rollbacks).toEqual({ done: 1, failed: 0 });
    expect(status.lastFailure).toMatchObject({ code: 'ERR_HOT_BUILD', where: expect.stringMatching(/^counter\.ts:1:\d+$/) });
    const figures = status.versions.find((version) => version.version === first.version);
    expect(figures).toMatchObject({ calls: 1, errors: 0 });
    expect(figures?.latencyMs?.p50).toBeGreaterThan(0);
    expect(figures?.latencyMs?.p99).toBeGreaterThanOrEqual(figures?.latencyMs?.p50 ?? 0);
  });

  it('refuses bad admin requests', async () => {
    const { server } = await serveCounter();
    expect((await admin(server.url, 'upgrade', { body: '{"entry":"/etc/passwd"}' })).status).toBe(400);
    expect((await admin(server.url, 'upgrade', { body: '{"restart":"yes"}' })).status).toBe(400);
    expect((await admin(server.url, 'upgrade', { body: 'nope' })).status).toBe(400);
    expect((await admin(server.url, 'rollback')).status).toBe(409);
    expect((await fetch(`${server.url}/_hot/upgrade`)).status).toBe(405);
    expect((await fetch(`${server.url}/_hot/status`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${server.url}/_hot/nothing`)).status).toBe(404);
  });

  it('upgrades on SIGHUP and logs the transition in one line', async () => {
    const { server, mark } = await serveCounter();
    mark('hup');
    server.child.kill('SIGHUP');
    await server.waitFor(/^\S+Z v1 \(\w{8}\) → v2 \(\w{8}\) in [\d.]+ m?s, drained \d+ calls?$/);
    expect((await call(server.url, 'mark')).body).toBe('hup');
  });

  it('serves Prometheus metrics: calls, errors, latency by function and version, upgrades, rollbacks, threads', async () => {
    const { server, mark } = await serveCounter();
    const { version } = await call(server.url, 'add', [1, 2]);
    await call(server.url, 'add', [1, 2]);
    mark('two');
    await admin(server.url, 'upgrade');
    const response = await fetch(`${server.url}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(text).toContain(`hotworker_calls_total{fn="add",version="${version}"} 2`);
    expect(text).toContain(`hotworker_call_duration_seconds_count{fn="add",version="${version}"} 2`);
    expect(text).toMatch(/^hotworker_call_duration_seconds_bucket\{le="0\.005",fn="add",version="1-\w{8}"\} \d+$/m);
    expect(text).toContain('hotworker_upgrades_total{outcome="done"} 1');
    expect(text).toContain('# TYPE hotworker_rollbacks_total counter');
    expect(text).toContain('# TYPE hotworker_call_errors_total counter');
    expect(text).toMatch(/^hotworker_threads\{version="2-\w{8}"\} 1$/m);
    expect(text).toMatch(/^hotworker_version_info\{version="2-\w{8}",id="2",hash="\w{16}"\} 1$/m);
  });
});

describe('serve: admin auth', () => {
  it('refuses the admin routes on a non-loopback host without a token, and still serves calls', async () => {
    const { server } = await serveCounter(['--host', '0.0.0.0']);
    await server.waitFor(/admin routes .* are refused on 0\.0\.0\.0/);
    const url = server.url.replace('0.0.0.0', '127.0.0.1');
    for (const action of ['status', 'upgrade', 'rollback']) {
      const answer = await admin(url, action);
      expect(answer.status, action).toBe(403);
      expect(answer.body).toMatchObject({ error: { code: 'ERR_SERVE_ADMIN_DISABLED' } });
    }
    expect((await call(url, 'add', [1, 2])).body).toBe(3);
  });

  it('requires the Bearer token when one is given', async () => {
    const { server } = await serveCounter(['--host', '0.0.0.0', '--admin-token', 's3cret-s3cret-s3cret']);
    const url = server.url.replace('0.0.0.0', '127.0.0.1');
    const none = await admin(url, 'status');
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ error: { code: 'ERR_SERVE_UNAUTHORIZED' } });
    expect((await admin(url, 'upgrade', { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await admin(url, 'status', { headers: { authorization: 'Bearer s3cret-s3cret-s3cret' } })).status).toBe(200);
    expect((await admin(url, 'upgrade', { headers: { authorization: 'bearer s3cret-s3cret-s3cret' } })).status).toBe(200);
    expect((await call(url, 'add', [1, 2])).body).toBe(3);
  });
});
