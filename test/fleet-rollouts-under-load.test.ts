// A producer adds 20,000 jobs with BullMQ's addBulk while three `hotworker rollout` runs move
// three node processes from version 1 to 4: every rollout exits 0 after its canary and fleet
// waves, no job fails or is lost, and each result comes from a version that existed, never older
// than the one every node ran when the job was added.

import { fleetStatus } from 'hotworker/fleet';
import { describe, expect, it } from 'vitest';
import { type CliProcess, type Fleet, fleet } from './support/fleet.js';
import { redisService } from './support/redis.js';

/** Rollouts spawn processes and wait on heartbeats: more than the default 30 s on a busy 2-core machine. */
const SLOW = 180_000;

/** Nodes of the 20,000-job run: default BullMQ locks (no kills there), more jobs at once. */
const LOAD_NODE = ['--threads', '1', '--concurrency', '16', '--heartbeat', '300'];
const TOTAL = 20_000;
const BATCH = 250;
/** The producer adds a batch only while at most this many jobs wait. */
const BACKLOG = 1_000;
/** Rollout r starts once STARTS[r] jobs are added and the one before it has exited. */
const STARTS = [500, 5_000, 9_500];
/** Jobs added only after the last rollout exited. */
const AFTER = 2_000;

interface RolloutRun {
  readonly cli: CliProcess;
  /** Jobs added when it started and when it exited. */
  readonly addedAtStart: number;
  addedAtExit: number;
  /** Once its canary passed, the producer adds no more than this many jobs until the rollout exits. */
  readonly gate: number;
  /** True once it printed its fleet wave. */
  pastCanary(): boolean;
  /** Milliseconds from its start to its exit. */
  ms: number;
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  readonly exited: Promise<unknown>;
}

/** Writes version r + 2 and starts `hotworker rollout` for it. */
function startRollout(f: Fleet, r: number, added: () => number): RolloutRun {
  f.writeVersion(r + 2);
  const started = Date.now();
  const cli = f.startRollout(['--canary-jobs', '100', '--timeout', '60s']);
  const run: RolloutRun = {
    cli,
    addedAtStart: added(),
    addedAtExit: 0,
    gate: STARTS[r + 1] ?? TOTAL - AFTER,
    pastCanary: () => cli.lines.some((line) => line.startsWith('fleet ')),
    ms: 0,
    exit: undefined,
    exited: cli.exited.then((exit) => {
      run.exit = exit;
      run.ms = Date.now() - started;
      run.addedAtExit = added();
    }),
  };
  return run;
}

describe.skipIf(!redisService.available)('fleet rollouts under load', () => {
  it(
    '20,000 jobs added while three rollouts run: none failed or lost, each result from a version that existed',
    async () => {
      const f = await fleet();
      await f.startNode(LOAD_NODE);
      await Promise.all([f.startNode(LOAD_NODE), f.startNode(LOAD_NODE)]);
      const first = (await fleetStatus({ redis: f.redis.url, queue: f.queue })).current as string;
      const { queue } = f.bullmq();
      const runs: RolloutRun[] = [];
      // floor[i]: the version every node ran when job i was added (1 until the first rollout exits).
      const floor = new Uint8Array(TOTAL);
      let added = 0;
      while (added < TOTAL) {
        const last = runs.at(-1);
        // At its gate the producer waits for the rollout to exit, but only once its canary has
        // passed: a canary short of jobs would wait for them until its timeout.
        if (last !== undefined && last.exit === undefined && added >= last.gate && last.pastCanary()) await last.exited;
        if ((last === undefined || last.exit !== undefined) && runs.length < STARTS.length && added >= (STARTS[runs.length] as number)) {
          runs.push(startRollout(f, runs.length, () => added));
        }
        // Paced by the backlog, so the adds spread over the whole run instead of landing in a second.
        await expect.poll(() => queue.getWaitingCount(), { interval: 20, timeout: 30_000 }).toBeLessThanOrEqual(BACKLOG);
        const from = added;
        const count = Math.min(BATCH, TOTAL - from);
        floor.fill(1 + runs.filter((run) => run.exit !== undefined).length, from, from + count);
        await queue.addBulk(
          Array.from({ length: count }, (_, k) => ({ name: 'tile', data: [from + k, 1], opts: { jobId: `j${from + k}` } })),
        );
        added += count;
      }
      await Promise.all(runs.map((run) => run.exited));
      // Every job settled (a failed one settles too, and is reported below rather than waited for).
      await expect
        .poll(async () => Object.values(await queue.getJobCounts('completed', 'failed')).reduce((sum, n) => sum + n), {
          interval: 200,
          timeout: 60_000,
        })
        .toBe(TOTAL);

      // Each rollout exited 0 after its canary wave, then its fleet wave, and jobs were added while it ran.
      const hashes = [first];
      for (const run of runs) {
        const output = run.cli.lines.join('\n');
        expect(run.exit, output).toEqual({ code: 0, signal: null });
        const shipped = /^rolled out ([0-9a-f]{16}) to 3 nodes \(previous ([0-9a-f]{16})\)/m.exec(output);
        expect(shipped?.[2], output).toBe(hashes.at(-1));
        const phases = run.cli.lines.map((line) => /^(canary|fleet|rollback) /.exec(line)?.[1]).filter((phase) => phase !== undefined);
        expect([...new Set(phases)], output).toEqual(['canary', 'fleet']);
        expect(run.addedAtExit - run.addedAtStart, output).toBeGreaterThan(0);
        // Its closing table: every node on the new version.
        const table = run.cli.lines.filter((line) => /^\S+\s+\S+\s+\d+\s+[0-9a-f]{16}\s/.test(line));
        expect(
          table.map((line) => line.split(/\s+/)[3]),
          output,
        ).toEqual([shipped?.[1], shipped?.[1], shipped?.[1]]);
        hashes.push(shipped?.[1] as string);
      }
      expect(new Set(hashes).size).toBe(4);

      // Every job added completed once, with its own result, on a version that existed and was
      // not older than the one every node ran when it was added.
      expect(await queue.getJobCounts('failed', 'waiting', 'active', 'delayed', 'completed')).toEqual({
        failed: 0,
        waiting: 0,
        active: 0,
        delayed: 0,
        completed: TOTAL,
      });
      const seen = new Uint8Array(TOTAL);
      const perVersion = [0, 0, 0, 0, 0];
      const wrong: string[] = [];
      for (let start = 0; start < TOTAL; start += 2_000) {
        for (const job of await queue.getJobs(['completed'], start, start + 1_999)) {
          const i = Number((job.id as string).slice(1));
          const { v, sum } = job.returnvalue as { v: number; sum: number };
          seen[i] = (seen[i] as number) + 1;
          perVersion[v] = (perVersion[v] ?? 0) + 1;
          if (sum !== i + 1 || !(v >= (floor[i] as number) && v <= 4))
            wrong.push(`${job.id}: ${JSON.stringify(job.returnvalue)} (added on ${floor[i]})`);
        }
      }
      expect(wrong.slice(0, 10)).toEqual([]);
      expect(seen.every((times) => times === 1)).toBe(true);
      expect(
        perVersion.slice(1).every((jobs) => jobs > 0),
        JSON.stringify(perVersion),
      ).toBe(true);

      const status = await fleetStatus({ redis: f.redis.url, queue: f.queue });
      expect(status).toMatchObject({ current: hashes[3], previous: hashes[2] });
      expect(status.nodes.map((node) => [node.hash, node.failed])).toEqual([
        [hashes[3], 0],
        [hashes[3], 0],
        [hashes[3], 0],
      ]);
      // Bundles no node runs and that are not the previous version are pruned.
      expect([...status.bundles].sort()).toEqual([hashes[2], hashes[3]].sort());
      console.log(
        `fleet rollouts: ${TOTAL} jobs through 3 nodes, per version ${JSON.stringify(perVersion.slice(1))}; rollouts ${runs
          .map((run) => `${run.ms} ms with ${run.addedAtExit - run.addedAtStart} jobs added`)
          .join(', ')}; ${TOTAL - (runs[2] as RolloutRun).addedAtExit} jobs added after the last`,
      );
    },
    SLOW,
  );
});

it.runIf(!redisService.available)('fleet rollouts-under-load test needs redis-server', () => redisService.missing());
