// POST /call/<generator>: NDJSON, a line per value as it is yielded, read with a real client.
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, eventually, type ServeProcess, startServe } from './support/serve.js';

let dir: string;
let server: ServeProcess;
const fixture = new URL('./fixtures/serve-streams.ts', import.meta.url);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hotworker-serve-stream-'));
  copyFileSync(fixture, join(dir, 'streams.ts'));
  server = await startServe(['streams.ts', '--threads', '1'], { cwd: dir });
});

afterAll(async () => {
  await server?.stop('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Reads an NDJSON body line by line as it arrives. */
async function* lines(body: ReadableStream<Uint8Array>): AsyncGenerator<unknown> {
  const decoder = new TextDecoder();
  let partial = '';
  for await (const chunk of body) {
    const parts = (partial + decoder.decode(chunk, { stream: true })).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) yield JSON.parse(line);
  }
  if (partial !== '') yield JSON.parse(partial);
}

const post = (fn: string, args: unknown[], signal?: AbortSignal) =>
  fetch(`${server.url}/call/${fn}`, {
    method: 'POST',
    body: JSON.stringify(args),
    headers: { 'content-type': 'application/json' },
    signal,
  });

describe('serve: generators answer as NDJSON', () => {
  it('writes one JSON line per value, as produced', async () => {
    const response = await post('ticks', [3, 1]);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    expect(response.headers.get('hotworker-version')).toMatch(/^1-/);
    const values = [];
    for await (const value of lines(response.body as ReadableStream<Uint8Array>)) values.push(value);
    expect(values).toEqual([0, 1, 2].map((i) => ({ version: 1, i })));
    // Plain functions still answer JSON.
    expect((await call(server.url, 'plain')).body).toBe('plain');
  });

  it('flushes values of an endless generator, and a client that disconnects stops it (its finally runs)', async () => {
    const stoppedFile = join(dir, `stopped-${Date.now()}`);
    const controller = new AbortController();
    const response = await post('endless', [stoppedFile], controller.signal);
    const seen: unknown[] = [];
    for await (const value of lines(response.body as ReadableStream<Uint8Array>)) {
      seen.push(value);
      if (seen.length === 3) break;
    }
    expect(seen).toEqual([0, 1, 2]);
    controller.abort();
    await expect.poll(() => existsSync(stoppedFile), { timeout: 10_000 }).toBe(true);
    expect(readFileSync(stoppedFile, 'utf8')).toBe('stopped');
    // The one worker is free again.
    expect((await call(server.url, 'plain')).body).toBe('plain');
  });

  it('ends the body with an {"error"} line when the generator throws mid-stream; before any value, answers like a call', async () => {
    const response = await post('failsAfter', [2]);
    expect(response.status).toBe(200);
    const values = [];
    for await (const value of lines(response.body as ReadableStream<Uint8Array>)) values.push(value);
    expect(values).toEqual([0, 1, { error: { name: 'RangeError', message: 'failed after 2', code: 'E_FAILS' } }]);

    const early = await call(server.url, 'failsAfter', [0]);
    expect(early.status).toBe(500);
    expect(early.body).toEqual({ error: { name: 'RangeError', message: 'failed after 0', code: 'E_FAILS' } });
  });

  it('a value JSON cannot carry: 500 ERR_SERVE_RESULT as a first value, as a call result; a last {"error"} line after others', async () => {
    const early = await call(server.url, 'bigAfter', [0]);
    expect(early.status).toBe(500);
    expect(early.body).toMatchObject({
      error: {
        name: 'TypeError',
        code: 'ERR_SERVE_RESULT',
        message: expect.stringContaining('bigAfter() yielded a value that cannot be sent as JSON'),
      },
    });

    const response = await post('bigAfter', [2]);
    expect(response.status).toBe(200);
    const values = [];
    for await (const value of lines(response.body as ReadableStream<Uint8Array>)) values.push(value);
    expect(values).toEqual([0, 1, { error: expect.objectContaining({ name: 'TypeError', code: 'ERR_SERVE_RESULT' }) }]);
  });

  it('a stream read while the module upgrades finishes on the version it started on', async () => {
    const endFile = join(dir, `end-${Date.now()}`);
    const response = await post('until', [endFile, 5]);
    const reader = lines(response.body as ReadableStream<Uint8Array>);
    expect((await reader.next()).value).toEqual({ version: 1, i: 0 });
    writeFileSync(join(dir, 'streams.ts'), readFileSync(fixture, 'utf8').replace('VERSION = 1', 'VERSION = 2'));
    const upgrade = fetch(`${server.url}/_hot/upgrade`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    // The new version takes new calls while the old stream still runs (it cannot end before endFile exists).
    const serving = async () => ((await (await fetch(`${server.url}/_hot/status`)).json()) as { version: { id: number } }).version.id;
    await eventually(async () => ((await serving()) === 2 ? true : undefined), 'version 2 to serve');
    writeFileSync(endFile, 'end');
    const rest: Array<{ version: number; i: number }> = [];
    for await (const value of reader) rest.push(value as { version: number; i: number });
    expect(rest.length).toBeGreaterThan(0);
    rest.forEach((value, index) => {
      expect(value).toEqual({ version: 1, i: index + 1 });
    });
    expect((await upgrade).status).toBe(200);
    const after = await post('ticks', [1, 1]);
    const values = [];
    for await (const value of lines(after.body as ReadableStream<Uint8Array>)) values.push(value);
    expect(values).toEqual([{ version: 2, i: 0 }]);
  });
});
