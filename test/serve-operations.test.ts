/**
 * What the README promises an operator of `hotworker serve` and nothing else exercises: admin
 * outcomes (409, 422, the `allowBreaking` body), metric values, JSON log fields, `--drain-timeout`
 * and `--cache-dir`, loopback admin on `localhost` and `::1`, a second signal, and the flags of
 * `hotworker upgrade`. Everything through real sockets and the real binary.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { call, eventually, runCli, type ServeProcess, startServe } from './support/serve.js';
import { type Workspace, workspace } from './support/workspace.js';

const json = { 'content-type': 'application/json' };

async function admin(url: string, action: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const init: RequestInit =
    action === 'status' ? {} : { method: 'POST', headers: json, ...(body === undefined ? {} : { body: JSON.stringify(body) }) };
  const response = await fetch(`${url}/_hot/${action}`, init);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function serveOps(extra: string[] = []): Promise<{ ws: Workspace; server: ServeProcess; mark: (value: string) => void }> {
  const ws = workspace();
  ws.copy('serve-ops.ts', 'ops.ts');
  const server = await startServe(['ops.ts', '--threads', '1', ...extra], { cwd: ws.dir });
  ws.defer(() => server.stop('SIGKILL'));
  const mark = (value: string) => ws.write('ops.ts', ws.fixture('serve-ops.ts').replace("MARK = 'one'", `MARK = '${value}'`));
  return { ws, server, mark };
}

/** The value of the one sample of `name` whose labels include every one of `labels`. */
async function metric(url: string, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text();
  for (const line of text.split('\n')) {
    const match = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match?.[1] !== name) continue;
    const has = Object.entries(labels).every(([key, value]) => (match[2] ?? '').split(',').includes(`${key}="${value}"`));
    if (has) return Number(match[3]);
  }
  return undefined;
}

/** The `--json-logs` lines with the given event. */
function events(server: ServeProcess, event: string): Record<string, unknown>[] {
  return server.lines
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.event === event);
}

async function inFlight(url: string): Promise<number> {
  return ((await admin(url, 'status')).body as { inFlight: number }).inFlight;
}

describe('serve: admin outcomes, metrics and logs', () => {
  it('409 on an incompatible upgrade, 200 with {"allowBreaking": true}, 422 on a load failure; counted and logged as JSON', async () => {
    const { ws, server, mark } = await serveOps(['--json-logs', '--cache-dir', 'bundles']);
    const first = await call(server.url, 'add', [1, 2]);
    expect(first.body).toBe(3);
    const v1 = first.version as string;
    expect((await call(server.url, 'fail', ['bad input'])).status).toBe(500);
    expect((await call(server.url, 'fail', ['bad input'])).status).toBe(500);
    expect((await admin(server.url, 'upgrade')).body).toMatchObject({ changed: false });

    // A version without add(): refused unless the body allows it.
    ws.write('ops.ts', "export const MARK = 'two';\nexport function mark(): string { return MARK; }\n");
    const refused = await admin(server.url, 'upgrade');
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ error: { code: 'ERR_HOT_INCOMPATIBLE' } });
    expect((await call(server.url, 'add', [2, 2])).body).toBe(4);
    const allowed = await admin(server.url, 'upgrade', { allowBreaking: true });
    expect(allowed.status).toBe(200);
    expect(allowed.body).toMatchObject({ changed: true, previous: { id: 1 }, version: { id: 2 } });
    expect((await call(server.url, 'mark')).body).toBe('two');

    ws.write('ops.ts', "export const MARK = 'never';\nexport function mark(): string { return MARK; }\nthrow new Error('bad release');\n");
    const failed = await admin(server.url, 'upgrade');
    expect(failed.status).toBe(422);
    expect(failed.body).toMatchObject({ error: { code: 'ERR_HOT_LOAD' } });
    expect((await call(server.url, 'mark')).body).toBe('two');

    mark('one');
    expect((await admin(server.url, 'rollback')).status).toBe(200);
    expect((await call(server.url, 'add', [1, 1])).version).toBe(v1);

    expect(await metric(server.url, 'hotworker_calls_total', { fn: 'add', version: v1 })).toBe(3);
    expect(await metric(server.url, 'hotworker_call_errors_total', { fn: 'fail', version: v1, kind: 'thrown' })).toBe(2);
    expect(await metric(server.url, 'hotworker_call_errors_total', { fn: 'add', version: v1 })).toBeUndefined();
    expect(await metric(server.url, 'hotworker_upgrades_total', { outcome: 'done' })).toBe(1);
    expect(await metric(server.url, 'hotworker_upgrades_total', { outcome: 'unchanged' })).toBe(1);
    expect(await metric(server.url, 'hotworker_upgrades_total', { outcome: 'failed' })).toBe(2);
    expect(await metric(server.url, 'hotworker_rollbacks_total', { outcome: 'done' })).toBe(1);

    const [upgrade] = events(server, 'upgrade');
    expect(upgrade).toMatchObject({
      level: 'info',
      trigger: 'admin',
      from: v1,
      to: expect.stringMatching(/^2-\w{8}$/),
      switchMs: expect.any(Number),
      drainMs: expect.any(Number),
      drained: 0,
      killed: 0,
    });
    expect(new Date(upgrade?.time as string).toString()).not.toBe('Invalid Date');
    expect(typeof upgrade?.msg).toBe('string');
    expect(events(server, 'rollback')).toMatchObject([{ trigger: 'admin', to: v1, drained: 0, killed: 0 }]);

    // --cache-dir: the bundles went where it said, not to the default.
    expect(readdirSync(join(ws.dir, 'bundles')).length).toBeGreaterThan(0);
    expect(existsSync(join(ws.dir, '.hotworker'))).toBe(false);
  });

  it('--drain-timeout: a call still running at the deadline is cut, answered 500 ERR_HOT_WORKER_EXIT, counted, logged as killed', async () => {
    const { server, mark } = await serveOps(['--json-logs', '--drain-timeout', '300']);
    const straggler = call(server.url, 'wait', [60_000]);
    await eventually(async () => ((await inFlight(server.url)) === 1 ? true : undefined), 'the call in flight');
    const v1 = ((await admin(server.url, 'status')).body as { version: { label: string } }).version.label;
    expect(await metric(server.url, 'hotworker_in_flight_calls', { version: v1 })).toBe(1);

    mark('two');
    const upgraded = await admin(server.url, 'upgrade');
    expect(upgraded.status).toBe(200);
    const answer = await straggler;
    expect(answer.status).toBe(500);
    expect(answer.body).toMatchObject({ error: { code: 'ERR_HOT_WORKER_EXIT' } });
    expect(events(server, 'upgrade')).toMatchObject([{ from: v1, drained: 0, killed: 1 }]);
    expect(await metric(server.url, 'hotworker_call_errors_total', { fn: 'wait', version: v1, kind: 'ERR_HOT_WORKER_EXIT' })).toBe(1);
    expect(await metric(server.url, 'hotworker_in_flight_calls', { version: v1 })).toBeUndefined();
  });
});

describe('serve: loopback admin', () => {
  it.each(['localhost', '::1'])('admin routes are open to local clients on --host %s', async (host) => {
    const { server } = await serveOps(['--host', host]);
    const status = await admin(server.url, 'status');
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ version: { id: 1 } });
    expect((await admin(server.url, 'upgrade')).body).toMatchObject({ changed: false });
  });
});

describe('serve: signals', () => {
  it('a second SIGTERM exits at once (exit 1), without waiting for the call in flight', async () => {
    const { server } = await serveOps();
    const pending = call(server.url, 'wait', [60_000]).then(
      (answer) => answer.status,
      () => 'connection lost',
    );
    await eventually(async () => ((await inFlight(server.url)) === 1 ? true : undefined), 'the call in flight');
    server.child.kill('SIGTERM');
    await server.waitFor(/SIGTERM: finishing open requests/);
    server.child.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 1, signal: null });
    expect(server.lines.some((line) => /SIGTERM again: exiting now/.test(line))).toBe(true);
    expect(await pending).toBe('connection lost');
  });
});

describe('hotworker upgrade flags', () => {
  it('finds the server through $HOTWORKER_URL; --allow-breaking passes an incompatible version; --timeout gives up, exit 1', async () => {
    const { ws, server } = await serveOps();
    const env = { HOTWORKER_URL: server.url };
    ws.write('ops.ts', ws.fixture('serve-ops.ts').replace(/export function add[^}]*}/, ''));
    const refused = await runCli(['upgrade'], { cwd: ws.dir, env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/no longer exports .*add/);
    const allowed = await runCli(['upgrade', '--allow-breaking'], { cwd: ws.dir, env });
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toMatch(/v1 \(\w{8}\) → v2 \(\w{8}\)/);
    await expect(call(server.url, 'add', [1, 2])).resolves.toMatchObject({ status: 404 });

    // The old version's drain holds the next upgrade's answer while this call runs.
    const held = call(server.url, 'wait', [60_000]).catch(() => undefined);
    await eventually(async () => ((await inFlight(server.url)) === 1 ? true : undefined), 'the call in flight');
    ws.write('ops.ts', ws.fixture('serve-ops.ts').replace("MARK = 'one'", "MARK = 'three'"));
    const late = await runCli(['upgrade', '--timeout', '500', '--url', server.url], { cwd: ws.dir });
    expect(late.code).toBe(1);
    expect(late.stderr).toMatch(/no answer within 500 ms/);
    await server.stop('SIGKILL');
    await held;
  });
});
