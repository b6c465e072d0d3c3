// Fleet rollouts through the real `hotworker rollout`, `rollback` and `fleet status`, with
// node processes: a bad version stopped at the canary with the fleet moved back, a node joining
// mid-rollout, one rollout at a time. (Rollouts under load: fleet-rollouts-under-load.test.ts.)

import { fleetStatus } from 'hotworker/fleet';
import { describe, expect, it } from 'vitest';
import { FAST_STALLED, type Fleet, fleet } from './support/fleet.js';
import { redisService } from './support/redis.js';
import { runCli } from './support/serve.js';

/** Rollouts spawn processes and wait on heartbeats: more than the default 30 s on a busy 2-core machine. */
const SLOW = 180_000;

const NODE = ['--threads', '1', '--concurrency', '4', ...FAST_STALLED];

/** Calls `tile` from `callers` loops until `stop()` resolves; every call must succeed. */
function load(f: Fleet, callers: number) {
  const render = f.producer();
  const versions = new Map<number, number>();
  const failures: unknown[] = [];
  let running = true;
  let calls = 0;
  const loops = Array.from({ length: callers }, async () => {
    while (running) {
      try {
        const { v } = await render.api.tile(calls, 1);
        versions.set(v, (versions.get(v) ?? 0) + 1);
      } catch (error) {
        failures.push(error);
        if ((error as { code?: string }).code === 'ERR_HOT_CLOSED') return;
      }
      calls++;
    }
  });
  // Stopped before the producer closes (cleanups run last registered first).
  f.ws.defer(() => {
    running = false;
  });
  return {
    versions,
    failures,
    get calls() {
      return calls;
    },
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

async function hashes(f: Fleet): Promise<string[]> {
  return (await fleetStatus({ redis: f.redis.url, queue: f.queue })).nodes.map((node) => node.hash);
}

describe.skipIf(!redisService.available)('fleet rollouts', () => {
  it(
    'a version that fails its jobs is stopped at the canary and the fleet moves back',
    async () => {
      const f = await fleet();
      await Promise.all([f.startNode(NODE), f.startNode(NODE), f.startNode(NODE)]);
      const before = (await fleetStatus({ redis: f.redis.url, queue: f.queue })).current as string;
      const render = f.producer();
      let running = true;
      // Jobs retry (attempts: 5), so those the canary fails run again on good nodes.
      const loops = Array.from({ length: 8 }, async () => {
        while (running) await render.add('tile', [1, 2], { attempts: 5, backoff: { type: 'fixed', delay: 10 } });
      });
      f.ws.write(
        'fleet-job.ts',
        f.ws
          .fixture('fleet-job.ts')
          .replace('return { v: VERSION, sum: x + y, pid: process.pid };', 'throw new RangeError("tile is broken");'),
      );
      const run = await runCli(['rollout', f.module, ...f.flags, '--canary-jobs', '20', '--timeout', '30s'], { cwd: f.ws.dir });
      running = false;
      await Promise.all(loops);
      expect(run.code, run.stdout).toBe(1);
      expect(run.stderr).toMatch(
        /stopped: the canary failed \d+ of \d+ jobs \(more than --max-error-rate 0.01\)\. Every node runs [0-9a-f]{16} again\./,
      );
      expect(run.stderr).toMatch(/^NODE\s+HOST\s+PID\s+VERSION\s+STATE\s+DONE\s+FAILED/m);
      const rows = run.stderr.split('\n').filter((line) => new RegExp(`^\\S+\\s+\\S+\\s+\\d+\\s+${before}\\s`).test(line));
      expect(rows, run.stderr).toHaveLength(3);
      // Stopped at the canary: every job the bad version ran failed, and only one node ever failed a job.
      expect(rows.map((row) => Number(row.split(/\s+/)[6]) > 0).sort(), run.stderr).toEqual([false, false, true]);
      expect(await hashes(f)).toEqual([before, before, before]);
      expect((await fleetStatus({ redis: f.redis.url, queue: f.queue })).current).toBe(before);
    },
    SLOW,
  );

  it(
    'a node that joins mid-rollout ends on the new version; rollback and status',
    async () => {
      const f = await fleet();
      await Promise.all([f.startNode(NODE), f.startNode(NODE)]);
      const old = (await fleetStatus({ redis: f.redis.url, queue: f.queue })).current as string;
      f.writeVersion(2);
      // No traffic yet: the rollout waits in its canary wave for jobs, and the node joins then.
      const rollout = runCli(['rollout', f.module, ...f.flags, '--canary-jobs', '50', '--timeout', '60s'], { cwd: f.ws.dir });
      await expect
        .poll(async () => (await fleetStatus({ redis: f.redis.url, queue: f.queue })).nodes.filter((node) => node.hash !== old).length, {
          timeout: 15_000,
        })
        .toBe(1);
      const joiner = await f.startNode(NODE);
      expect(joiner.lines[0]).toContain(`runs ${old}`);
      const traffic = load(f, 8);
      const run = await rollout;
      await traffic.stop();
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/rolled out ([0-9a-f]{16}) to 3 nodes/);
      const hash = (/rolled out ([0-9a-f]{16}) to 3 nodes/.exec(run.stdout) as RegExpExecArray)[1] as string;
      expect(await hashes(f)).toEqual([hash, hash, hash]);
      expect(joiner.lines).toContain(`node ${joiner.id} now runs ${hash}`);
      expect(traffic.failures).toEqual([]);

      const back = await runCli(['rollback', ...f.flags], { cwd: f.ws.dir });
      expect(back.code, back.stderr).toBe(0);
      expect(back.stdout).toContain(`rolled back ${hash} → ${old}`);
      expect(await hashes(f)).toEqual([old, old, old]);
      const status = await runCli(['fleet', 'status', ...f.flags], { cwd: f.ws.dir });
      expect(status.stdout).toMatch(new RegExp(`^current\\s+${old}$`, 'm'));
      expect(status.stdout.split('\n').filter((line) => line.includes(` ${old} `) && / running /.test(line))).toHaveLength(3);
    },
    SLOW,
  );

  it(
    'refuses a rollout while another runs',
    async () => {
      const f = await fleet();
      await f.startNode(NODE);
      f.writeVersion(2);
      // No traffic: this one waits for canary jobs that never come, until its timeout.
      const first = runCli(['rollout', f.module, ...f.flags, '--canary-jobs', '10', '--timeout', '4s'], { cwd: f.ws.dir });
      await expect.poll(async () => (await fleetStatus({ redis: f.redis.url, queue: f.queue })).rollout, { timeout: 10_000 }).toBeDefined();
      const second = await runCli(['rollout', f.module, ...f.flags], { cwd: f.ws.dir });
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(/ERR_HOT_ROLLOUT_BUSY: Another rollout or rollback of queue jobs is running/);
      const timedOut = await first;
      expect(timedOut.code).toBe(1);
      expect(timedOut.stderr).toMatch(/timed out with the canary short of its jobs\. Every node runs [0-9a-f]{16} again\./);
    },
    SLOW,
  );
});

it.runIf(!redisService.available)('fleet rollout tests need redis-server', () => redisService.missing());
