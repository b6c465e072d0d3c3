/**
 * The producer's waiters (dist/src/fleet/job-waiters.js) against a stand-in for BullMQ's
 * QueueEvents: a job's end heard before its call waits (the add() reply and the events stream
 * come over two connections) still settles that call, and ends no call claims are bounded. The
 * periodic check settles calls whose job ended without an event, and never one whose job is
 * only briefly gone before its end is heard.
 */
import { EventEmitter } from 'node:events';
import type { QueueEvents } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { type JobLookup, JobWaiters, type Outcome } from '../dist/src/fleet/job-waiters.js';

function events(): EventEmitter & QueueEvents {
  return new EventEmitter() as EventEmitter & QueueEvents;
}

describe('job waiters', () => {
  it('settles a call with its own job’s end, heard after it waits', async () => {
    const stream = events();
    const waiters = new JobWaiters(stream);
    const first = waiters.wait('1', 'tile');
    const second = waiters.wait('2', 'fail');
    stream.emit('failed', { jobId: '2', failedReason: 'TypeError: bad input' });
    stream.emit('completed', { jobId: '1', returnvalue: { sum: 3 } });
    await expect(first).resolves.toEqual({ sum: 3 });
    await expect(second).rejects.toMatchObject({ name: 'TypeError', message: 'bad input' });
    expect(waiters.size).toBe(0);
  });

  it('settles a call with an end heard before it waits', async () => {
    const stream = events();
    const waiters = new JobWaiters(stream);
    stream.emit('completed', { jobId: '7', returnvalue: 42 });
    await expect(waiters.wait('7', 'tile')).resolves.toBe(42);
  });

  it('keeps at most 1024 unclaimed ends, dropping the oldest', async () => {
    const stream = events();
    const waiters = new JobWaiters(stream);
    for (let id = 0; id <= 1024; id++) stream.emit('completed', { jobId: String(id), returnvalue: id });
    await expect(waiters.wait('1024', 'tile')).resolves.toBe(1024);
    await expect(waiters.wait('1', 'tile')).resolves.toBe(1);
    // Job 0's end was dropped: its call waits for an end that already came (until close()).
    const dropped = waiters.wait('0', 'tile');
    expect(waiters.size).toBe(1);
    waiters.close(new Error('closed') as never);
    await expect(dropped).rejects.toThrow('closed');
  });

  it('rejects a call whose job is gone at two checks in a row with ERR_HOT_JOB_REMOVED', async () => {
    let checks = 0;
    const waiters = new JobWaiters(
      events(),
      async (ids) => {
        checks++;
        return ids.map(() => undefined);
      },
      5,
    );
    await expect(waiters.wait('3', 'tile')).rejects.toMatchObject({ code: 'ERR_HOT_JOB_REMOVED', fn: 'tile' });
    expect(checks).toBe(2);
    expect(waiters.size).toBe(0);
  });

  it('settles a call from its job when the job finished unheard', async () => {
    const outcomes: Record<string, Outcome> = {
      '1': { ok: true, value: { sum: 5 } },
      '2': { ok: false, reason: 'RangeError: too far' },
    };
    const waiters = new JobWaiters(events(), async (ids) => ids.map((id) => outcomes[id]), 5);
    await expect(waiters.wait('1', 'tile')).resolves.toEqual({ sum: 5 });
    await expect(waiters.wait('2', 'tile')).rejects.toMatchObject({ name: 'RangeError', message: 'too far' });
  });

  it('settles a call with its end heard after one check found the job gone (removed on completion)', async () => {
    const stream = events();
    const lookup: JobLookup = async (ids) => {
      // The end is heard after this check has counted the job gone once.
      setImmediate(() => stream.emit('completed', { jobId: '4', returnvalue: 9 }));
      return ids.map(() => undefined);
    };
    const waiters = new JobWaiters(stream, lookup, 5);
    await expect(waiters.wait('4', 'tile')).resolves.toBe(9);
  });

  it('keeps a call waiting while its job is there', async () => {
    const looked: string[][] = [];
    let thirdCheck: () => void = () => {};
    const checked = new Promise<void>((resolve) => {
      thirdCheck = resolve;
    });
    const waiters = new JobWaiters(
      events(),
      async (ids) => {
        looked.push([...ids]);
        if (looked.length === 3) thirdCheck();
        return ids.map(() => null);
      },
      5,
    );
    const waiting = waiters.wait('5', 'tile');
    await checked;
    expect(waiters.size).toBe(1);
    expect(looked.every((ids) => ids.length === 1 && ids[0] === '5')).toBe(true);
    waiters.close(new Error('closed') as never);
    await expect(waiting).rejects.toThrow('closed');
  });
});
