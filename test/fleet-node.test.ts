// A fleet node (`hotworker worker`): jobs call the module, failures keep their code or name,
// unknown functions are not retried, every node reports itself, a starting node runs the
// fleet's current version byte for byte, SIGTERM drains, SIGKILL loses no job.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HotError } from 'hotworker';
import { fleetStatus } from 'hotworker/fleet';
import { describe, expect, it } from 'vitest';
import { FAST_STALLED, fleet } from './support/fleet.js';
import { redisService } from './support/redis.js';

/** Node processes on a busy 2-core machine can take longer than the default 30 s. */
const SLOW = 90_000;
/** How long a job may take to reach a state, well inside SLOW so a failure says which state it was in. */
const POLL = { timeout: 30_000, interval: 50 };

describe.skipIf(!redisService.available)('fleet node', () => {
  it(
    'runs jobs: result, the module’s own error, coded errors without retries, and its report',
    async () => {
      const f = await fleet();
      const node = await f.startNode(['--threads', '1']);
      const render = f.producer();
      expect(await render.api.tile(2, 3)).toMatchObject({ v: 1, sum: 5, pid: node.child.pid });

      const userError = await render.api.fail('bad tile').catch((error: unknown) => error);
      expect(userError).toBeInstanceOf(TypeError);
      expect(userError).toMatchObject({ name: 'TypeError', message: 'bad tile' });
      expect(HotError.is(userError)).toBe(false);

      // An unknown function fails at once, whatever the job's attempts.
      const { queue, events } = f.bullmq();
      const job = await queue.add('nope', [], { attempts: 3, backoff: { type: 'fixed', delay: 10 } });
      const reason = await job.waitUntilFinished(events).catch((error: Error) => error.message);
      expect(reason).toMatch(/^ERR_HOT_NO_EXPORT: nope is not an exported function/);
      expect((await queue.getJob(job.id as string))?.attemptsMade).toBe(1);
      const viaRemote = await (render.api as unknown as Record<string, () => Promise<unknown>>).nope?.().catch((error: unknown) => error);
      expect(viaRemote).toBeInstanceOf(HotError);
      expect(viaRemote).toMatchObject({ code: 'ERR_HOT_NO_EXPORT', fn: 'nope' });

      // job.data that is not an argument array cannot be a call: unrecoverable too.
      const odd = await queue.add('tile', { x: 1 }, { attempts: 3 });
      expect(await odd.waitUntilFinished(events).catch((error: Error) => error.message)).toMatch(/^ERR_HOT_CLONE: /);
      expect((await queue.getJob(odd.id as string))?.attemptsMade).toBe(1);

      await expect
        .poll(async () => (await fleetStatus({ redis: f.redis.url, queue: f.queue })).nodes, { timeout: 5_000 })
        .toEqual([expect.objectContaining({ id: node.id, pid: node.child.pid, state: 'running', done: 1, failed: 4 })]);
    },
    SLOW,
  );

  it(
    'starts on the fleet’s current version from Redis, byte for byte, not the file on its disk',
    async () => {
      const f = await fleet();
      const first = await f.startNode(['--threads', '1']);
      const status = await fleetStatus({ redis: f.redis.url, queue: f.queue });
      const hash = status.current as string;
      expect(status.nodes[0]?.hash).toBe(hash);

      f.writeVersion(2);
      const second = await f.startNode(['--threads', '1', '--cache-dir', '.other-cache']);
      expect(second.lines[0]).toContain(`runs ${hash}`);
      const stored = await f.client().hgetBuffer(`hotworker:fleet:${f.queue}:bundle:${hash}`, 'bytes');
      const written = readFileSync(join(f.ws.dir, '.other-cache', `fleet-job-${hash}.mjs`));
      expect(written.equals(stored as Buffer)).toBe(true);

      await first.stop('SIGTERM');
      const render = f.producer();
      expect(await render.api.tile(1, 1)).toMatchObject({ v: 1, pid: second.child.pid });
    },
    SLOW,
  );

  it(
    'SIGTERM: stops taking jobs, finishes the one in flight, leaves the registry and exits 0',
    async () => {
      const f = await fleet();
      const node = await f.startNode(['--threads', '1']);
      const { queue, events } = f.bullmq();
      const job = await queue.add('slow', [800]);
      await expect.poll(() => job.getState(), POLL).toBe('active');
      const exit = node.stop('SIGTERM');
      expect(await job.waitUntilFinished(events)).toMatchObject({ v: 1, pid: node.child.pid });
      expect(await exit).toEqual({ code: 0, signal: null });
      expect(node.lines).toContain(`node ${node.id} stopped`);
      expect((await fleetStatus({ redis: f.redis.url, queue: f.queue })).nodes).toEqual([]);
    },
    SLOW,
  );

  it(
    'SIGKILL mid-job: the job completes on another node (at-least-once)',
    async () => {
      const f = await fleet();
      const doomed = await f.startNode(['--threads', '1', ...FAST_STALLED]);
      const { queue } = f.bullmq();
      const job = await queue.add('stuckOn', [doomed.child.pid as number]);
      await expect.poll(() => job.getState(), POLL).toBe('active');
      const survivor = await f.startNode(['--threads', '1', ...FAST_STALLED]);
      await doomed.stop('SIGKILL');
      // Polled, so a job that never finishes fails the test with its state, not a timeout.
      await expect.poll(() => job.getState(), POLL).toBe('completed');
      expect((await queue.getJob(job.id as string))?.returnvalue).toEqual({ pid: survivor.child.pid });
      expect(await queue.getJobCounts('failed', 'completed')).toEqual({ failed: 0, completed: 1 });
    },
    SLOW,
  );
});

it.runIf(!redisService.available)('fleet node tests need redis-server', () => redisService.missing());
