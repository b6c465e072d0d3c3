// What serve counts for each call it answers: in /metrics, a failure under its kind (the
// library's code, or `thrown`) and the time in seconds; in /_hot/status, calls, errors and
// latency in milliseconds, per version.
import { describe, expect, it } from 'vitest';
import { call, serveFunctionsInProcess } from './support/serve.js';
import { workspace } from './support/workspace.js';

describe('serve: counting calls', () => {
  it('counts a failure under its code, and a call’s time in seconds (metrics) and milliseconds (status)', async () => {
    const server = await serveFunctionsInProcess(workspace(), { callTimeout: 300, threads: 2 });
    const waited = await call(server.url, 'wait', [200]);
    expect(waited.body).toBe(200);
    expect((await call(server.url, 'fail', ['no'])).status).toBe(500);
    expect((await call(server.url, 'spin', [60_000])).status).toBe(504);
    const version = waited.version;
    // Each call left the open calls (a shutdown names those it has to cut) when it ended.
    expect(server.openCalls.size).toBe(0);

    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toContain(`hotworker_call_errors_total{fn="spin",version="${version}",kind="ERR_HOT_CALL_TIMEOUT"} 1`);
    expect(text).toContain(`hotworker_call_errors_total{fn="fail",version="${version}",kind="thrown"} 1`);
    expect(text).not.toContain(`hotworker_call_errors_total{fn="wait"`);
    const seconds = (fn: string) =>
      Number(new RegExp(`hotworker_call_duration_seconds_sum\\{fn="${fn}",version="[^"]+"\\} (\\S+)`).exec(text)?.[1]);
    // At least the 200 ms it waited (the 300 ms of its timeout); under the test's own 30 s
    // limit: so counted in seconds, answered or failed.
    expect(seconds('wait')).toBeGreaterThanOrEqual(0.2);
    expect(seconds('wait')).toBeLessThan(30);
    expect(seconds('spin')).toBeGreaterThanOrEqual(0.3);
    expect(seconds('spin')).toBeLessThan(30);

    const status = (await (await fetch(`${server.url}/_hot/status`)).json()) as {
      versions: Array<{ calls: number; errors: number; latencyMs: { p50: number; max: number } | null }>;
    };
    expect(status.versions).toHaveLength(1);
    const figures = status.versions[0];
    expect(figures).toMatchObject({ calls: 3, errors: 2 });
    // The middle of [fail (a few ms), wait (200 ms), spin (300 ms)]: an answered call's time in ms.
    expect(figures?.latencyMs?.p50).toBeGreaterThanOrEqual(200);
    // The timed-out call, the slowest: a failure's time is counted in milliseconds too.
    expect(figures?.latencyMs?.max).toBeGreaterThanOrEqual(300);
    expect(figures?.latencyMs?.max).toBeLessThan(30_000);
  });
});
