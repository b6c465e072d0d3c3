// SIGTERM during an admin upgrade: one still loading is cancelled at once (not waited out to its
// load timeout), and calls cut by a forced shutdown are reported killed, never drained.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { call, eventually, rawConnection, startServe } from './support/serve.js';
import { workspace } from './support/workspace.js';

interface Status {
  inFlight: number;
  alive: unknown[];
}

async function status(url: string): Promise<Status> {
  return (await (await fetch(`${url}/_hot/status`)).json()) as Status;
}

function upgrade(url: string): Promise<number> {
  return fetch(`${url}/_hot/upgrade`, { method: 'POST' }).then(
    (response) => response.status,
    () => 0,
  );
}

describe('serve: shutdown during an upgrade', () => {
  it('cancels an upgrade whose new version is still loading, and exits 0', async () => {
    const ws = workspace();
    const entry = ws.copy('serve-counter.ts', 'counter.ts');
    const server = await startServe(['counter.ts', '--threads', '1'], { cwd: ws.dir });
    ws.defer(() => server.stop('SIGKILL'));
    // The new version never finishes loading: only its load timeout (10 s) would end it.
    writeFileSync(entry, `${readFileSync(entry, 'utf8')}\nfor (;;) {}\n`);
    const answer = upgrade(server.url);
    // Wait until the new version's workers are starting: its bundle is built.
    await eventually(async () => (buildsDone(ws.cacheDir) >= 2 ? true : undefined), 'the new bundle', 10_000);
    server.child.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(await answer).toBe(503);
    expect(server.lines).toContainEqual(expect.stringMatching(/^\S+Z upgrade \(admin\) cancelled: shutting down$/));
    expect(server.lines.some((line) => line.includes('failed'))).toBe(false);
  });

  it('still calls for a request accepted before the shutdown whose body was arriving: only the upgrade is cancelled', async () => {
    const ws = workspace();
    const entry = ws.copy('serve-counter.ts', 'counter.ts');
    const server = await startServe(['counter.ts', '--threads', '1'], { cwd: ws.dir });
    ws.defer(() => server.stop('SIGKILL'));
    const client = rawConnection(ws, server.url);
    // Headers and half the body now, the rest once the shutdown has begun.
    client.socket.write(client.request('add', '[1,2]', '[1,'));
    writeFileSync(entry, `${readFileSync(entry, 'utf8')}\nfor (;;) {}\n`);
    const answer = upgrade(server.url);
    await eventually(async () => (buildsDone(ws.cacheDir) >= 2 ? true : undefined), 'the new bundle', 10_000);
    server.child.kill('SIGTERM');
    await server.waitFor(/SIGTERM/);
    client.socket.write('2]');
    await client.ended;
    expect(client.received()).toMatch(/^HTTP\/1\.1 200 /);
    expect(client.received().slice(client.received().indexOf('\r\n\r\n') + 4)).toBe('3');
    expect(await answer).toBe(503);
    expect(await server.exited).toEqual({ code: 0, signal: null });
  });

  it('reports calls a forced shutdown cut during the drain as killed, not drained', async () => {
    const ws = workspace();
    const entry = ws.copy('serve-functions.ts', 'functions.ts');
    const server = await startServe(
      ['functions.ts', '--threads', '1', '--call-timeout', '0', '--drain-timeout', '600000', '--shutdown-timeout', '300'],
      { cwd: ws.dir },
    );
    ws.defer(() => server.stop('SIGKILL'));
    const stuck = call(server.url, 'spin', [600_000]).catch((error: Error) => error);
    await eventually(async () => ((await status(server.url)).inFlight === 1 ? true : undefined), 'the stuck call in flight', 10_000);
    writeFileSync(entry, `${readFileSync(entry, 'utf8')}\nexport const changed = true;\n`);
    const answer = upgrade(server.url);
    // Shifted: the new version serves and the old one drains its stuck call.
    await eventually(async () => ((await status(server.url)).alive.length === 2 ? true : undefined), 'the shift', 10_000);
    server.child.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 1, signal: null });
    expect(server.lines).toContainEqual(
      expect.stringMatching(/^\S+Z v1 \(\w{8}\) → v2 \(\w{8}\) in [\d.]+ m?s, drained 0 calls, killed 1 call at shutdown$/),
    );
    await answer;
    await stuck;
  });
});

/** Bundles written to the cache so far. */
function buildsDone(cacheDir: string): number {
  try {
    return readdirSync(cacheDir).filter((name) => /\.(m?js|cjs)$/.test(name)).length;
  } catch {
    return 0;
  }
}
