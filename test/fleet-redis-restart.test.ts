// Redis restarted while a fleet works: the nodes and the producer reconnect and every job
// added before, during and after the restart completes (the restart keeps Redis's data).

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
    const render = f.producer();
    const calls: Promise<{ sum: number }>[] = [];
    for (let i = 0; i < 300; i++) calls.push(render.api.tile(i, 0));
    await f.redis.restart();
    for (let i = 300; i < 600; i++) calls.push(render.api.tile(i, 0));
    const results = await Promise.all(calls);
    expect(results.map((result) => result.sum)).toEqual(Array.from({ length: 600 }, (_, i) => i));
    const { queue } = f.bullmq();
    expect(await queue.getJobCounts('failed', 'waiting', 'active')).toEqual({ failed: 0, waiting: 0, active: 0 });
    // Both nodes are back in the registry, beating.
    await expect
      .poll(async () => (await fleetStatus({ redis: f.redis.url, queue: f.queue })).nodes.map((node) => node.id).sort(), {
        timeout: 10_000,
      })
      .toEqual([one.id, two.id].sort());
  });
});

it.runIf(!redisService.available)('fleet Redis-restart test needs redis-server', () => redisService.missing());
