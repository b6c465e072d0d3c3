/**
 * `GET /_hot/events`: the server's life as server-sent events, for the status page.
 *
 * A client first gets `hello` (the status document, the last minutes of per-second figures and
 * the recent activity), then one event per thing that happens, named for its kind (`upgrade`,
 * `rollback`, `canary`, `crash`, `upgrade-failed`, `rollback-failed`), and `tick` once a second
 * (the status document and that second's figures).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Activity, ActivityEntry } from './activity.js';
import type { CallStats, IntervalFigures } from './stats.js';

/** One second of figures, per version that answered calls. */
export interface Tick {
  /** Epoch milliseconds at the end of the second. */
  readonly at: number;
  readonly figures: IntervalFigures[];
}

/** Seconds of figures kept for a page that connects late: the charts' width. */
const TIMELINE_SECONDS = 180;

/**
 * Bytes a page may leave unread (Node's buffer and the socket's) before its stream is ended: a
 * page that stopped reading (a laptop asleep behind a tunnel) would otherwise hold a few KB more
 * every second, for as long as its connection stays open. About two minutes of ticks; a page
 * that comes back reconnects by itself and gets every figure again in `hello`.
 */
const MAX_UNREAD_BYTES = 1024 * 1024;

/** Options of {@link LiveFeed}. */
export interface LiveFeedOptions {
  /** Milliseconds between ticks. @default 1000 */
  readonly intervalMs?: number;
  /** Unread bytes after which a page's stream is ended. @default 1 MiB */
  readonly maxUnreadBytes?: number;
}

/** What the feed needs from the server. */
export interface LiveSource {
  readonly stats: CallStats;
  readonly activity: Activity;
  /** The status document of `GET /_hot/status`. */
  status(): unknown;
}

/** Samples the figures every second and streams them, with the activity, to every connected page. */
export class LiveFeed {
  readonly #source: LiveSource;
  /** The last {@link TIMELINE_SECONDS} ticks, oldest first. */
  readonly #timeline: Tick[] = [];
  readonly #clients = new Set<ServerResponse>();
  readonly #ticker: NodeJS.Timeout;
  readonly #maxUnreadBytes: number;
  /** Each entry goes out as an event named for its kind: `upgrade`, `rollback`, `canary`, `crash`, `upgrade-failed`, … */
  readonly #onEntry = (entry: ActivityEntry) => this.#broadcast(entry.kind, entry);

  constructor(source: LiveSource, { intervalMs = 1000, maxUnreadBytes = MAX_UNREAD_BYTES }: LiveFeedOptions = {}) {
    this.#source = source;
    this.#maxUnreadBytes = maxUnreadBytes;
    source.activity.on('entry', this.#onEntry);
    // Sampled whether or not a page is open, so that one opened later shows the minutes before it.
    this.#ticker = setInterval(() => this.#tick(), intervalMs).unref();
  }

  /** Pages connected now. */
  get clients(): number {
    return this.#clients.size;
  }

  /** Answers `GET /_hot/events` with a stream that lasts until the client leaves or the feed closes. */
  connect(request: IncomingMessage, response: ServerResponse): void {
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    // The page reconnects by itself; tell an EventSource to wait a second before it does.
    response.write('retry: 1000\n\n');
    this.#clients.add(response);
    const leave = () => this.#clients.delete(response);
    request.once('close', leave);
    response.once('close', leave);
    send(response, 'hello', {
      status: this.#source.status(),
      timeline: this.#timeline,
      activity: this.#source.activity.entries,
    });
  }

  /** Ends every stream and stops sampling, so that shutdown never waits on an open page. */
  close(): void {
    clearInterval(this.#ticker);
    this.#source.activity.off('entry', this.#onEntry);
    for (const client of this.#clients) client.end();
    this.#clients.clear();
  }

  #tick(): void {
    const tick: Tick = { at: Date.now(), figures: this.#source.stats.interval() };
    this.#timeline.push(tick);
    if (this.#timeline.length > TIMELINE_SECONDS) this.#timeline.shift();
    if (this.#clients.size > 0) this.#broadcast('tick', { ...tick, status: this.#source.status() });
  }

  #broadcast(event: string, data: unknown): void {
    for (const client of this.#clients) {
      send(client, event, data);
      if (client.writableLength > this.#maxUnreadBytes) {
        // Not reading: drop it rather than buffer without end. 'close' removes it from the set.
        this.#clients.delete(client);
        client.destroy();
      }
    }
  }
}

function send(response: ServerResponse, event: string, data: unknown): void {
  if (response.writableEnded || response.destroyed) return;
  response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}
