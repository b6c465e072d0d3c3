/**
 * How `remote()` waits for its jobs: one Map entry per call, not BullMQ's three listeners per
 * call (one on the shared Queue, whose removal scans every other waiter's); a removed job and
 * `close()` settle the calls waiting for them, and so does a job deleted without an event
 * (drained, cleaned), found by the periodic check.
 */
import { HotError } from 'hotworker';
import { describe, expect, it } from 'vitest';
import { fleet } from './support/fleet.js';
import { redisService } from './support/redis.js';

/** Resolves once `queue` holds `count` waiting jobs (no node takes them in these tests). */
async function waitingJobs(queue: { getWaitingCount(): Promise<number> }, count: number): Promise<void> {
  while ((await queue.getWaitingCount()) < count) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe.skipIf(!redisService.available)('remote() waiting for jobs', () => {
  it('adds no listener per waiting call, and answers each once a node runs it', async () => {
    const f = await fleet();
    const render = f.producer();
    const closingBefore = render.queue.listenerCount('closing');
    const calls = Array.from({ length: 200 }, (_, i) => render.api.tile(i, 1));
    await waitingJobs(render.queue, 200);
    expect(render.queue.listenerCount('closing')).toBe(closingBefore);
    await f.startNode();
    const answers = await Promise.all(calls);
    expect(answers.map((answer) => answer.sum)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
  });

  it('rejects a call whose job was removed with ERR_HOT_JOB_REMOVED', async () => {
    const f = await fleet();
    const render = f.producer();
    const call = render.api.tile(1, 2);
    // The rejection may come before remove() answers: caught from the start.
    const outcome = call.catch((caught: unknown) => caught);
    await waitingJobs(render.queue, 1);
    const [job] = await render.queue.getWaiting();
    await job?.remove();
    expect(await outcome).toMatchObject({ name: 'HotError', code: 'ERR_HOT_JOB_REMOVED', fn: 'tile' });
  });

  it('rejects calls whose jobs were drained or cleaned out of the queue (no event) with ERR_HOT_JOB_REMOVED', async () => {
    const f = await fleet();
    const render = f.producer({ jobCheckInterval: 50 });
    const drained = render.api.tile(1, 2).catch((caught: unknown) => caught);
    await waitingJobs(render.queue, 1);
    await render.queue.drain();
    expect(await drained).toMatchObject({ name: 'HotError', code: 'ERR_HOT_JOB_REMOVED', fn: 'tile' });

    const cleaned = render.api.tile(3, 4).catch((caught: unknown) => caught);
    await waitingJobs(render.queue, 1);
    expect(await render.queue.clean(0, 10, 'wait')).toHaveLength(1);
    expect(await cleaned).toMatchObject({ name: 'HotError', code: 'ERR_HOT_JOB_REMOVED', fn: 'tile' });
  });

  it('keeps waiting, through the checks, for a job that is still queued, and answers once a node runs it', async () => {
    const f = await fleet();
    const render = f.producer({ jobCheckInterval: 20 });
    const call = render.api.tile(2, 3);
    await waitingJobs(render.queue, 1);
    // Several checks pass while the job waits (each looks it up: its key is read).
    const client = f.client();
    const reads = async () => Number(/keyspace_hits:(\d+)/.exec(await client.info('stats'))?.[1]);
    const before = await reads();
    while ((await reads()) < before + 6) await new Promise((resolve) => setTimeout(resolve, 20));
    await f.startNode();
    expect(await call).toMatchObject({ sum: 5 });
  });

  it('rejects calls still waiting at close() with ERR_HOT_CLOSED', async () => {
    const f = await fleet();
    const render = f.producer();
    const outcome = render.api.tile(1, 2).catch((caught: unknown) => caught);
    await waitingJobs(render.queue, 1);
    await render.close();
    const error = await outcome;
    expect(HotError.is(error, 'ERR_HOT_CLOSED')).toBe(true);
    await expect(render.api.tile(3, 4)).rejects.toMatchObject({ code: 'ERR_HOT_CLOSED' });
  });
});
