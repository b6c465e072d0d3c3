// End to end: `hotworker serve --watch` under a real HTTP load (autocannon), upgraded five
// times while it serves (three saves, two admin restarts), then stopped with SIGTERM while
// requests are open. Nothing may fail, and every answer must come from a version that existed.
import { readFileSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import autocannon from 'autocannon';
import { describe, expect, it } from 'vitest';
import { call, eventually, type ServeProcess, startServe } from './support/serve.js';
import { workspace } from './support/workspace.js';

interface LogLine {
  event: string;
  version?: string;
  from?: string;
  to?: string;
  trigger?: string;
}

function logLines(server: ServeProcess, from = 0): LogLine[] {
  return server.lines.slice(from).flatMap((line) => {
    try {
      return [JSON.parse(line) as LogLine];
    } catch {
      return [];
    }
  });
}

describe('serve: end to end under load', () => {
  it('upgrades five times under load with no failed request, then shuts down with none cut off', async () => {
    const ws = workspace();
    const entry = ws.copy('serve-e2e.ts', 'clock.ts');
    const source = readFileSync(entry, 'utf8');
    const server = await startServe(['clock.ts', '--watch', '--json-logs', '--threads', '2'], { cwd: ws.dir });
    ws.defer(() => server.stop('SIGKILL'));

    // Every answer: which version header came with which MARK in the body.
    const marksByVersion = new Map<string, Set<string>>();
    const answered = new Map<string, number>();
    let badAnswers = 0;
    const onResponse = (status: number, body: string, _context: object, headers: IncomingHttpHeaders | undefined) => {
      const version = String(headers?.['hotworker-version']);
      let mark = '?';
      try {
        mark = (JSON.parse(body) as { mark: string }).mark;
      } catch {
        badAnswers++;
      }
      if (status !== 200) badAnswers++;
      if (!marksByVersion.has(version)) marksByVersion.set(version, new Set());
      marksByVersion.get(version)?.add(mark);
      answered.set(version, (answered.get(version) ?? 0) + 1);
    };
    const total = () => [...answered.values()].reduce((sum, count) => sum + count, 0);
    const moreAnswers = (count: number, from = total()) =>
      eventually(async () => (total() >= from + count ? true : undefined), `${count} more answers`);

    let instance: autocannon.Instance | undefined;
    const load = new Promise<autocannon.Result>((resolve, reject) => {
      instance = autocannon(
        {
          url: server.url,
          connections: 8,
          // An upper bound only: the load is stopped as soon as the upgrades are done.
          duration: 30,
          requests: [{ method: 'POST', path: '/call/now', onResponse }],
        },
        (error, result) => (error ? reject(error) : resolve(result)),
      );
    });
    ws.defer(() => instance?.stop());

    await moreAnswers(200);
    const upgradeTo = async (mark: string, from: number) => {
      writeFileSync(entry, source.replace("MARK = 'm0'", `MARK = '${mark}'`));
      await server.waitFor((line) => line.includes('"event":"upgrade"') && line.includes('"trigger":"watch"'), { from });
      await moreAnswers(50);
    };
    await upgradeTo('m1', server.lines.length);
    const first = await fetch(`${server.url}/_hot/upgrade`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"restart":true}',
    });
    expect(first.status).toBe(200);
    await moreAnswers(50);
    await upgradeTo('m2', server.lines.length);
    const second = await fetch(`${server.url}/_hot/upgrade`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"restart":true}',
    });
    expect(second.status).toBe(200);
    await moreAnswers(50);
    await upgradeTo('m3', server.lines.length);
    await moreAnswers(200);
    instance?.stop();
    const result = await load;

    // Five transitions, each logged in one line: v1 → … → v6.
    const logs = logLines(server);
    const transitions = logs.filter((line) => line.event === 'upgrade');
    expect(transitions.map((line) => line.trigger)).toEqual(['watch', 'admin', 'watch', 'admin', 'watch']);
    const versions = [logs.find((line) => line.event === 'ready')?.version, ...transitions.map((line) => line.to)];
    expect(versions.map((label) => label?.split('-')[0])).toEqual(['1', '2', '3', '4', '5', '6']);

    // Nothing failed, and every answer came from one of those versions, with that version's code.
    expect(result.errors).toBe(0);
    expect(result.timeouts).toBe(0);
    expect(result.non2xx).toBe(0);
    expect(badAnswers).toBe(0);
    const expectedMark: Record<string, string> = { 1: 'm0', 2: 'm1', 3: 'm1', 4: 'm2', 5: 'm2', 6: 'm3' };
    for (const [version, marks] of marksByVersion) {
      expect(versions).toContain(version);
      expect([...marks]).toEqual([expectedMark[version.split('-')[0] as string]]);
    }
    expect(total()).toBeGreaterThan(500);

    // The final answers come from the last version.
    const last = await call(server.url, 'now');
    expect(last.version).toBe(versions.at(-1));
    expect(last.body).toMatchObject({ mark: 'm3' });

    // SIGTERM with calls open: each is answered, then the process exits 0.
    const open = Array.from({ length: 4 }, () => call(server.url, 'slow', [300]));
    await eventually(async () => {
      const status = (await (await fetch(`${server.url}/_hot/status`)).json()) as { inFlight: number };
      return status.inFlight === 4 ? true : undefined;
    }, 'four calls in flight');
    server.child.kill('SIGTERM');
    const answers = await Promise.all(open);
    expect(answers.map((answer) => [answer.status, answer.body])).toEqual(Array(4).fill([200, 'm3']));
    expect(await server.exited).toEqual({ code: 0, signal: null });
  });
});
