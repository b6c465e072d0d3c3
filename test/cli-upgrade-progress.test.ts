// `hotworker upgrade` tells what is happening: what it waits behind, each phase as it passes
// (on a terminal), and on failure that the old version keeps serving; no HTTP status codes
// in what a person reads, and the machine form with --json.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { cliPath, runCli, startServe } from './support/serve.js';
import { workspace } from './support/workspace.js';

const NDJSON = 'application/x-ndjson';

/** Starts an upgrade with the progress stream and returns a reader of its lines. */
async function streamUpgrade(
  url: string,
): Promise<{ next(): Promise<Record<string, unknown> | undefined>; rest(): Promise<Record<string, unknown>[]> }> {
  const response = await fetch(`${url}/_hot/upgrade`, { method: 'POST', headers: { accept: NDJSON } });
  expect(response.headers.get('content-type')).toContain(NDJSON);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let pending = '';
  const lines: string[] = [];
  const next = async (): Promise<Record<string, unknown> | undefined> => {
    while (lines.length === 0) {
      const { done, value } = await reader.read();
      if (done) return pending.trim() === '' ? undefined : JSON.parse(pending);
      const parts = (pending + decoder.decode(value, { stream: true })).split('\n');
      pending = parts.pop() ?? '';
      lines.push(...parts.filter((part) => part.trim() !== ''));
    }
    return JSON.parse(lines.shift() as string);
  };
  const rest = async () => {
    const all: Record<string, unknown>[] = [];
    for (let line = await next(); line !== undefined; line = await next()) all.push(line);
    return all;
  };
  return { next, rest };
}

describe('hotworker upgrade progress', () => {
  it('streams each phase, and what an upgrade waits behind', async () => {
    const ws = workspace();
    ws.copy('serve-counter.ts', 'counter.ts');
    const server = await startServe(['counter.ts', '--threads', '1'], { cwd: ws.dir });
    ws.defer(() => server.stop());
    // A version that takes a while to load keeps the first upgrade busy while the second asks.
    ws.write(
      'counter.ts',
      `${ws.fixture('serve-counter.ts').replace("'one'", "'two'")}\nconst end = Date.now() + 1500;\nwhile (Date.now() < end) {}\n`,
    );
    const first = await streamUpgrade(server.url);
    expect(await first.next()).toMatchObject({ event: 'phase', phase: 'build' });
    const second = await streamUpgrade(server.url);
    expect(await second.next()).toEqual({ event: 'waiting', behind: 'upgrade (admin)' });
    const firstRest = await first.rest();
    expect(firstRest.map((line) => line.phase ?? line.event)).toEqual(['load', 'shift', 'drain', 'done']);
    expect(firstRest[0]).toMatchObject({ version: 2, threads: 1 });
    expect(firstRest.at(-1)).toMatchObject({ changed: true, previous: { id: 1 }, version: { id: 2 } });
    expect((await second.rest()).map((line) => line.phase ?? line.event)).toEqual(['build', 'done']);
  });

  it('on a terminal prints the phases; a failure says the old version keeps serving, without status codes', async () => {
    const ws = workspace();
    ws.copy('serve-counter.ts', 'counter.ts');
    const server = await startServe(['counter.ts', '--threads', '1'], { cwd: ws.dir });
    ws.defer(() => server.stop());
    ws.write('counter.ts', ws.fixture('serve-counter.ts').replace("'one'", "'two'"));
    // `script` gives the CLI a terminal, as a person running it would have.
    const command = `${process.execPath} ${cliPath} upgrade --url ${server.url}`;
    const { stdout } = await promisify(execFile)('script', ['-qec', command, '/dev/null']);
    const lines = stdout.split(/\r?\n/).filter((line) => line !== '');
    expect(lines.map((line) => line.split(/\s/, 1)[0])).toEqual(['build', 'load', 'shift', 'drain', 'upgraded']);
    expect(lines.at(-1)).toMatch(/^upgraded v1 \(\w{8}\) → v2 \(\w{8}\)$/);

    ws.write('counter.ts', ws.fixture('syntax-error.ts'));
    const failed = await runCli(['upgrade', '--url', server.url]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toBe('');
    expect(failed.stderr).toMatch(/^hotworker upgrade: upgrade failed, v2 \(\w{8}\) keeps serving: ERR_HOT_BUILD: .*counter\.ts/);
    expect(failed.stderr).not.toMatch(/\b(409|422|500)\b/);
    const json = await runCli(['upgrade', '--url', server.url, '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ event: 'failed', error: { code: 'ERR_HOT_BUILD' }, serving: { id: 2 } });
  });
});
