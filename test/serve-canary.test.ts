// Canary upgrades through `hotworker serve`: POST /_hot/upgrade with `canary`, the running
// canary in /_hot/status, and `hotworker upgrade --canary` printing each step.
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { call, runCli, startServe } from './support/serve.js';
import { traffic } from './support/traffic.js';
import { workspace } from './support/workspace.js';

const clock = new URL('../examples/clock/clock.ts', import.meta.url);

async function serveClock() {
  const ws = workspace();
  const entry = ws.write('clock.ts', readFileSync(clock, 'utf8'));
  const server = await startServe(['clock.ts', '--threads', '1'], { cwd: ws.dir });
  ws.defer(() => server.stop('SIGKILL'));
  const friendlier = () =>
    writeFileSync(
      entry,
      readFileSync(entry, 'utf8').replace('return new Date().toISOString();', "return 'Current time: ' + new Date().toISOString();"),
    );
  return { ws, server, friendlier };
}

async function admin(url: string, action: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${url}/_hot/${action}`, {
    method: action === 'status' ? 'GET' : 'POST',
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('serve: canary upgrades', () => {
  it('hotworker upgrade --canary prints each step while both versions answer', async () => {
    const { server, friendlier } = await serveClock();
    friendlier();
    const load = traffic(() => call(server.url, 'now'), 4);
    // A trivial function's p99 is scheduling noise: judge the steps on errors only.
    const upgraded = await runCli([
      'upgrade',
      '--canary',
      '50,100',
      '--canary-min-calls',
      '50',
      '--canary-max-latency-ratio',
      '0',
      '--url',
      server.url,
    ]);
    const answers = (await load.stop()).map((outcome) => outcome.value as { status: number; version: string });

    expect(upgraded.stderr).toBe('');
    expect(upgraded.code).toBe(0);
    expect(upgraded.stdout).toMatch(
      /^step 1\/2 50% passed: 0 errors in \d+ calls, p99 [\d.]+ ms \([\d.]+× old\)\nstep 2\/2 100% passed: 0 errors in \d+ calls, p99 [\d.]+ ms \([\d.]+× old\)\nupgraded v1 \(\w{8}\) → v2 \(\w{8}\)\n$/,
    );
    // The version header names the version that answered, during the canary too.
    expect(new Set(answers.map((answer) => answer.version?.split('-')[0]))).toEqual(new Set(['1', '2']));
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    await server.waitFor(/canary v2 \(\w{8}\) step 2\/2 \(100%\) passed/);
    expect((await admin(server.url, 'status')).body.rollout).toMatchObject({
      kind: 'canary',
      running: false,
      completed: [{ passed: true }, { passed: true }],
    });
  });

  it('POST /_hot/upgrade takes canary; /_hot/status shows the running step; a failed step answers 422 ERR_HOT_CANARY', async () => {
    const { server, friendlier } = await serveClock();
    friendlier();
    const idle = await admin(server.url, 'upgrade', { canary: { steps: [100], maxStepMs: 50, onIdle: 'fail' } });
    expect(idle).toMatchObject({ status: 422, body: { error: { code: 'ERR_HOT_CANARY' } } });
    expect((await call(server.url, 'now')).version).toMatch(/^1-/);

    const upgrading = admin(server.url, 'upgrade', { canary: { steps: [100], minCalls: 5 } });
    await expect
      .poll(async () => (await admin(server.url, 'status')).body.rollout, { timeout: 10_000 })
      .toMatchObject({ kind: 'canary', running: true, steps: [100], current: { step: 1, share: 100, figures: { calls: 0 } } });
    for (let i = 0; i < 5; i++) expect((await call(server.url, 'now')).status).toBe(200);
    expect(await upgrading).toMatchObject({ status: 200, body: { changed: true, version: { id: 3 } } });

    const bad = await admin(server.url, 'upgrade', { canary: 5 });
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'ERR_SERVE_BAD_OPTION' } } });
    const invalid = await admin(server.url, 'upgrade', { restart: true, canary: { steps: [50] } });
    expect(invalid).toMatchObject({ status: 400, body: { error: { code: 'ERR_HOT_INVALID_OPTION' } } });
  });
});
