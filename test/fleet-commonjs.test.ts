// A CommonJS module through a fleet: the bundle stored in Redis carries whether its source was
// CommonJS, so a node running it from Redis serves module.exports' functions, as `hot()` does.
import { describe, expect, it } from 'vitest';
import { fleet } from './support/fleet.js';
import { redisService } from './support/redis.js';

/** Node processes on a busy 2-core machine can take longer than the default 30 s. */
const SLOW = 90_000;

describe.skipIf(!redisService.available)('fleet: CommonJS modules', () => {
  it(
    "serves module.exports' functions from the bundle in Redis (every node runs the stored bytes, the first one too)",
    async () => {
      const f = await fleet('cjs-math.cjs');
      await f.startNode(['--threads', '1']);
      const { queue, events } = f.bullmq();
      const add = await queue.add('add', [2, 3]);
      expect(await add.waitUntilFinished(events)).toBe(5);
      const mul = await queue.add('mul', [4, 5]);
      expect(await mul.waitUntilFinished(events)).toBe(20);
    },
    SLOW,
  );
});

it.runIf(!redisService.available)('fleet CommonJS tests need redis-server', () => redisService.missing());
