/**
 * The status page's event stream (`/_hot/events`, dist/src/serve/live.js) ends the stream of a
 * page that stopped reading, instead of buffering its events without end; a page that reads
 * keeps getting them.
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { Activity } from '../dist/src/serve/activity.js';
import { LiveFeed } from '../dist/src/serve/live.js';
import { CallStats } from '../dist/src/serve/stats.js';

/** A response whose bytes are read at once (`reading`) or pile up unread. */
class FakeResponse extends EventEmitter {
  writableLength = 0;
  writableEnded = false;
  destroyed = false;
  received = 0;
  constructor(readonly reading: boolean) {
    super();
  }
  writeHead(): this {
    return this;
  }
  write(chunk: string): boolean {
    this.received += chunk.length;
    if (!this.reading) this.writableLength += Buffer.byteLength(chunk);
    return this.reading;
  }
  end(): void {
    this.writableEnded = true;
  }
  destroy(): void {
    this.destroyed = true;
    this.emit('close');
  }
}

const feeds: LiveFeed[] = [];
afterEach(() => {
  for (const feed of feeds.splice(0)) feed.close();
});

describe('live feed: a page that stops reading', () => {
  it('has its stream ended once its unread bytes pass the limit; a reading page keeps its stream', () => {
    const activity = new Activity();
    const feed = new LiveFeed({ stats: new CallStats(), activity, status: () => ({}) }, { maxUnreadBytes: 64 * 1024 });
    feeds.push(feed);
    const asleep = new FakeResponse(false);
    const awake = new FakeResponse(true);
    for (const response of [asleep, awake]) {
      feed.connect(new EventEmitter() as unknown as IncomingMessage, response as unknown as ServerResponse);
    }
    const crash = { version: { id: 1, hash: '0123456789abcdef' }, error: { code: 'ERR_HOT_WORKER_EXIT', message: 'x'.repeat(1000) } };
    for (let i = 0; i < 40; i++) activity.crash(crash as never);
    // 40 events of about 1 KB: under the limit, both pages are still connected.
    expect(asleep.destroyed).toBe(false);
    expect(feed.clients).toBe(2);
    for (let i = 0; i < 40; i++) activity.crash(crash as never);
    expect(asleep.destroyed).toBe(true);
    expect(asleep.writableLength).toBeLessThan(64 * 1024 + 2048);
    expect(awake.destroyed).toBe(false);
    expect(feed.clients).toBe(1);
    const before = awake.received;
    activity.crash(crash as never);
    expect(awake.received).toBeGreaterThan(before);
  });
});
