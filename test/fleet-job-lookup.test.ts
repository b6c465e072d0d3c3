/**
 * How a producer's periodic check reads a job in Redis (dist/src/fleet/remote.js): a completed
 * job gives its return value, a failed one its reason, one not finished `null`, and one gone
 * `undefined`, so a call is settled from the job itself only when the job really ended.
 */
import { describe, expect, it } from 'vitest';
import { lookupJobs } from '../dist/src/fleet/remote.js';
import { fleet } from './support/fleet.js';
import { redisService } from './support/redis.js';

describe.skipIf(!redisService.available)('looking a job up in Redis', () => {
  it('tells completed, failed, not finished and gone apart', async () => {
    const f = await fleet();
    const { queue, events } = f.bullmq();
    await f.startNode();
    const done = await queue.add('tile', [2, 3]);
    const failed = await queue.add('fail', ['no such tile']);
    await done.waitUntilFinished(events);
    await expect(failed.waitUntilFinished(events)).rejects.toThrow();
    const later = await queue.add('tile', [1, 1], { delay: 60_000 });

    const found = await lookupJobs(queue)([done.id as string, failed.id as string, later.id as string, 'no-such-job']);
    expect(found[0]).toMatchObject({ ok: true, value: { sum: 5 } });
    expect(found[1]).toEqual({ ok: false, reason: expect.stringContaining('no such tile') });
    expect(found[2]).toBeNull();
    expect(found[3]).toBeUndefined();
  });
});
