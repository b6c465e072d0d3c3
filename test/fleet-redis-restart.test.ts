// Redis restarted while a fleet works: the nodes and the producer reconnect and every job
// added before, during and after the restart completes, the one running across it included
// (the restart keeps Redis's data).

import { fleetStatus } from 'hotworker/fleet';
import { describe, expect, it } from 'vitest';
import { FAST_STALLED, fleet } from './support/fleet.js';
import { redisService } from './support/redis.js';

describe.skipIf(!redisService.available)('fleet and a Redis restart', () => {
  it('nodes reconnect and nothing is lost', async () => {
    const f = await fleet();
    const [one, two] = await Promise.all([
      f.startNode(['--threads', '1', '--concurrency', '4', ...FAST_STALLED]),
      f.startNode(['--threads', '1', '--concurrency', '4', ...FAST_STALLED]),
    ]);
    const { queue } = f.bullmq();
    // A job that is running when Redis goes away, so the restart falls in the middle of the run.
    const across = 'across-the-restart';
    await queue.add('slow', [1_000], { jobId: across });
    await expect.poll(() => queue.getJobState(across), { timeout: 10_000, interval: 20 }).toBe('active');
    const render = f.producer();
    const calls: Promise<{ sum: number }>[] = [];
    for (let i = 0; i < 300; i++) calls.push(render.api.tile(i, 0));
    const restarted = f.redis.restart();
    // Added while Redis stops and starts again: the clients hold them until they reconnect.
    for (let i = 300; i < 600; i++) calls.push(render.api.tile(i, 0));
    await restarted;
    const back = Date.now();
    for (let i = 600; i < 900; i++) calls.push(render.api.tile(i, 0));
    const results = await Promise.all(calls);
    expect(results.map((result) => result.sum)).toEqual(Array.from({ length: 900 }, (_, i) => i));
    await expect.poll(() => queue.getJobState(across), { timeout: 10_000 }).toBe('completed');
    expect((await queue.getJob(across))?.returnvalue).toMatchObject({ v: 1 });
    expect(await queue.getJobCounts('failed', 'waiting', 'active', 'completed')).toEqual({
      failed: 0,
      waiting: 0,
      active: 0,
      completed: 901,
    });
    // Both nodes beat again after the restart (their reports from before it could still be there).
    await expect
      .poll(
        async () =>
          (await fleetStatus({ redis: f.redis.url, queue: f.queue })).nodes
            .filter((node) => node.beatAt >= back)
            .map((node) => node.id)
            .sort(),
        { timeout: 10_000 },
      )
      .toEqual([one.id, two.id].sort());
  });
});

it.runIf(!redisService.available)('fleet Redis-restart test needs redis-server', () => redisService.missing());
