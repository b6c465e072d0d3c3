// /metrics stays bounded over many upgrades: a version's series go when it leaves history.
import { describe, expect, it } from 'vitest';
import { call, serveFunctionsInProcess } from './support/serve.js';
import { workspace } from './support/workspace.js';

/** The `version` label values of the per-call series in a /metrics text. */
function callVersions(text: string): Set<string> {
  const versions = new Set<string>();
  for (const line of text.split('\n')) {
    const match = /^hotworker_(?:calls_total|call_errors_total|call_duration_seconds_\w+)\{[^}]*version="([^"]+)"/.exec(line);
    if (match !== null) versions.add(match[1] as string);
  }
  return versions;
}

describe('serve: metrics over many upgrades', () => {
  it('keeps the call series of the versions in history only', async () => {
    const ws = workspace();
    const server = await serveFunctionsInProcess(ws);
    const metrics = async () => (await fetch(`${server.url}/metrics`)).text();
    const cycle = async () => {
      await server.upgrade('test', { restart: true });
      expect((await call(server.url, 'add', [1, 2])).status).toBe(200);
      expect((await call(server.url, 'fail', ['no'])).status).toBe(500);
    };
    for (let i = 0; i < 5; i++) await cycle();
    const after5 = await metrics();
    for (let i = 0; i < 5; i++) await cycle();
    const after10 = await metrics();

    const kept = server.module.history.map((version) => `${version.id}-${version.hash.slice(0, 8)}`);
    expect(kept).toHaveLength(5);
    expect(callVersions(after10)).toEqual(new Set(kept));
    expect(after10).toMatch(/^hotworker_call_errors_total\{fn="fail",version="11-\w{8}",kind="thrown"\} 1$/m);
    expect(after10).not.toMatch(/version="6-/);
    // Same versions kept, same series: the text does not grow with the number of upgrades.
    expect(after10.split('\n').filter((line) => line.startsWith('hotworker_call')).length).toBe(
      after5.split('\n').filter((line) => line.startsWith('hotworker_call')).length,
    );
  });
});
