// The per-call metrics serve counts itself (src/serve/call-metrics.ts) write the text prom-client
// wrote for the same calls; through the server, a call's series follow the version that ran it,
// as its hotworker-version header does across an upgrade.
import { appendFileSync } from 'node:fs';
import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CALLS, CallMetrics, FAILURES, LATENCY } from '../dist/src/serve/call-metrics.js';
import { call, serveFunctionsInProcess } from './support/serve.js';
import { workspace } from './support/workspace.js';

const BOUNDS = [0.001, 0.005, 0.1, 1];

/** prom-client counting the same calls, as ServeMetrics did before it counted them itself. */
function promClient() {
  const registry = new Registry();
  const registers = [registry];
  const calls = new Counter({ ...CALLS, labelNames: ['fn', 'version'], registers });
  const errors = new Counter({ ...FAILURES, labelNames: ['fn', 'version', 'kind'], registers });
  const latency = new Histogram({ ...LATENCY, labelNames: ['fn', 'version'], buckets: BOUNDS, registers });
  return {
    record(fn: string, version: string, seconds: number, failure?: string) {
      calls.inc({ fn, version });
      latency.observe({ fn, version }, seconds);
      if (failure !== undefined) errors.inc({ fn, version, kind: failure });
    },
    forget(version: string, fns: string[], failures: Array<[string, string]>) {
      for (const fn of fns) {
        calls.remove({ fn, version });
        latency.remove({ fn, version });
      }
      for (const [fn, kind] of failures) errors.remove({ fn, version, kind });
    },
    // The registry ends its text with one newline; CallMetrics ends every block with a blank line.
    text: async () => `${await registry.metrics()}\n`,
  };
}

describe('serve: per-call metrics', () => {
  it('writes the text prom-client writes for the same calls, in the same order, escaped the same way', async () => {
    const ours = new CallMetrics(BOUNDS);
    const theirs = promClient();
    const odd = 'a "quoted"\\name\nwith a newline';
    const calls: Array<[string, string, number, string?]> = [
      ['add', '1-aaaaaaaa', 0.0004],
      ['add', '1-aaaaaaaa', 0.001],
      ['fail', '1-aaaaaaaa', 0.002, 'thrown'],
      ['add', '2-bbbbbbbb', 0.05],
      ['add', '1-aaaaaaaa', 7],
      [odd, '2-bbbbbbbb', 0.3, 'ERR_HOT_CALL_TIMEOUT'],
      ['fail', '2-bbbbbbbb', 0, 'thrown'],
      ['fail', '1-aaaaaaaa', 0.0001, 'ERR_HOT_WORKER_EXIT'],
      ['add', '2-bbbbbbbb', 0.1],
      ['fail', '1-aaaaaaaa', 0.004, 'thrown'],
    ];
    for (const [fn, version, seconds, failure] of calls) {
      ours.record(fn, version, seconds, failure);
      theirs.record(fn, version, seconds, failure);
    }
    expect(ours.text()).toBe(await theirs.text());
    expect(ours.text()).toContain('hotworker_calls_total{fn="add",version="1-aaaaaaaa"} 3');
    expect(ours.text()).toContain('hotworker_call_errors_total{fn="fail",version="1-aaaaaaaa",kind="thrown"} 2');

    ours.forget(new Set(['2-bbbbbbbb']));
    theirs.forget(
      '1-aaaaaaaa',
      ['add', 'fail'],
      [
        ['fail', 'thrown'],
        ['fail', 'ERR_HOT_WORKER_EXIT'],
      ],
    );
    expect(ours.text()).toBe(await theirs.text());
    expect(ours.text()).not.toContain('1-aaaaaaaa');

    // A version forgotten and seen again starts from zero, at the end.
    ours.record('add', '1-aaaaaaaa', 0.002);
    theirs.record('add', '1-aaaaaaaa', 0.002);
    expect(ours.text()).toBe(await theirs.text());
  });

  it("counts each call under the version that ran it: the same version its answer's header names, across an upgrade", async () => {
    const ws = workspace();
    const server = await serveFunctionsInProcess(ws);
    const first = await call(server.url, 'add', [1, 2]);
    await call(server.url, 'add', [1, 2]);
    expect((await call(server.url, 'fail', ['no'])).status).toBe(500);
    appendFileSync(server.module.entry, '\nexport const changed = true;\n');
    const upgraded = await server.upgrade('test');
    expect(upgraded.changed).toBe(true);
    const answers = [await call(server.url, 'add', [2, 3]), await call(server.url, 'fail', ['no']), await call(server.url, 'add', [2, 3])];
    const second = answers[0]?.version;
    expect(first.version).toMatch(/^1-\w{8}$/);
    expect(second).toMatch(/^2-\w{8}$/);
    for (const answer of answers) expect(answer.version).toBe(second);

    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toContain(`hotworker_calls_total{fn="add",version="${first.version}"} 2`);
    expect(text).toContain(`hotworker_calls_total{fn="fail",version="${first.version}"} 1`);
    expect(text).toContain(`hotworker_calls_total{fn="add",version="${second}"} 2`);
    expect(text).toContain(`hotworker_call_duration_seconds_count{fn="add",version="${second}"} 2`);
    expect(text).toContain(`hotworker_call_errors_total{fn="fail",version="${first.version}",kind="thrown"} 1`);
    expect(text).toContain(`hotworker_call_errors_total{fn="fail",version="${second}",kind="thrown"} 1`);
    expect(text).toContain('hotworker_upgrades_total{outcome="done"} 1');
  });
});
