/**
 * The producer's waiters (dist/src/fleet/job-waiters.js) against a stand-in for BullMQ's
 * QueueEvents: a job's end heard before its call waits (the add() reply and the events stream
 * come over two connections) still settles that call, and ends no call claims are bounded.
 */
import { EventEmitter } from 'node:events';
import type { QueueEvents } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { JobWaiters } from '../dist/src/fleet/job-waiters.js';

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
});
