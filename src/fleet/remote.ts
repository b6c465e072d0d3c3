/**
 * The typed producer: `remote<typeof import('./render.ts')>({ queue, connection })` gives
 * `api.fn(...)`, which adds a job named after the function and resolves with its result.
 */
import { type ConnectionOptions, type Job, type JobsOptions, Queue, QueueEvents } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { type ArgsOf, createApi, type FunctionName, type HotApi, type UntypedModule } from '../api.js';
import { HotError } from '../errors.js';
import { closeRedis, openRedis } from './connection.js';
import { type JobLookup, JobWaiters } from './job-waiters.js';

/** Options of {@link remote}. */
export interface RemoteOptions {
  /** The BullMQ queue the fleet's nodes take jobs from. */
  queue: string;
  /** A Redis URL, an ioredis client (left open by `close()`), or BullMQ connection options. */
  connection: string | Redis | ConnectionOptions;
  /**
   * Options of every job added (attempts, backoff, priority, removeOnComplete, …).
   * @default { removeOnComplete: 1000, removeOnFail: 5000 }
   */
  jobOptions?: JobsOptions;
  /**
   * Told of connection errors (Redis restarting, say). ioredis reconnects by itself and calls
   * waiting meanwhile settle once it is back, so these need no action.
   * @default undefined (ignored)
   */
  onError?: (error: Error) => void;
  /**
   * How often, in milliseconds, calls that have waited at least this long look their job up in
   * Redis (one pipelined round trip per 1,000 calls). A job cleaned, drained or obliterated out
   * of the queue sends no event: its call rejects `ERR_HOT_JOB_REMOVED` once two checks in a
   * row find the job gone, so within about three intervals. A job that finished unheard (the
   * events stream trimmed while this client was away) settles its call from the job itself.
   * `Infinity` turns the check off: such a call then waits until `close()`.
   * @default 10_000
   */
  jobCheckInterval?: number;
}

/** A fleet seen from a producer. */
export interface RemoteModule<M = UntypedModule> {
  /**
   * Every exported function of `M`: adds a job and resolves with its result. Rejects with a
   * `HotError` (its code kept) or the module's own error rebuilt (its name and message).
   */
  readonly api: HotApi<M>;
  /** Adds a job without waiting for it: `add('tile', [x, y, z], { priority: 1 })`. */
  add<K extends FunctionName<M>>(name: K, args: ArgsOf<M, K>, jobOptions?: JobsOptions): Promise<Job>;
  /** The BullMQ queue, for anything else (counts, pause, clean). */
  readonly queue: Queue;
  /** Closes the queue and the events stream (and the Redis connection when given as a URL). Safe to call twice. */
  close(): Promise<void>;
}

const DEFAULT_JOB_OPTIONS: JobsOptions = { removeOnComplete: 1000, removeOnFail: 5000 };
const DEFAULT_JOB_CHECK_INTERVAL = 10_000;

/**
 * A typed client of a fleet.
 * @example
 * const render = remote<typeof import('./render.ts')>({ queue: 'render', connection: 'redis://127.0.0.1:6379' });
 * const png = await render.api.tile(1, 2, 3);
 * await render.close();
 */
export function remote<M = UntypedModule>(options: RemoteOptions): RemoteModule<M> {
  if (typeof options !== 'object' || options === null || typeof options.queue !== 'string' || options.queue === '') {
    throw new HotError('ERR_HOT_INVALID_OPTION', `Expected \`queue\` to be a queue name, got \`${String(options?.queue)}\``);
  }
  const checkEvery = options.jobCheckInterval ?? DEFAULT_JOB_CHECK_INTERVAL;
  if (typeof checkEvery !== 'number' || !(checkEvery > 0)) {
    throw new HotError(
      'ERR_HOT_INVALID_OPTION',
      `Expected \`jobCheckInterval\` to be a positive number of milliseconds (or Infinity for no check), got \`${String(checkEvery)}\``,
      { option: 'jobCheckInterval' },
    );
  }
  const owned = typeof options.connection === 'string' ? openRedis(options.connection) : undefined;
  const connection = (owned?.client ?? options.connection) as ConnectionOptions;
  const queue = new Queue(options.queue, { connection });
  const onError = (error: Error) => options.onError?.(error);
  queue.on('error', onError);
  const events = openEvents(options.queue, connection, owned?.client);
  const waiters = events.then((ready) => new JobWaiters(ready, lookupJobs(queue), checkEvery, onError));
  void events.then((ready) => ready.on('error', onError), onError);
  const jobOptions = { ...DEFAULT_JOB_OPTIONS, ...options.jobOptions };
  let closed: Promise<void> | undefined;

  const add = (name: string, args: readonly unknown[], extra?: JobsOptions): Promise<Job> => {
    if (closed !== undefined) {
      return Promise.reject(new HotError('ERR_HOT_CLOSED', `Cannot add ${name}: the remote client of queue ${options.queue} is closed`));
    }
    return queue.add(name, args, { ...jobOptions, ...extra });
  };
  const call = async (name: string, args: unknown[]): Promise<unknown> => {
    // Listening before the job is added: its end cannot come before the stream is read.
    const waiting = await waiters;
    const job = await add(name, args);
    return waiting.wait(job.id as string, name);
  };
  return {
    api: createApi<M>(call, () => false),
    add: add as RemoteModule<M>['add'],
    queue,
    close() {
      closed ??= (async () => {
        const error = new HotError('ERR_HOT_CLOSED', `The remote client of queue ${options.queue} was closed before the job finished`);
        await waiters.then(
          (waiting) => waiting.close(error),
          () => undefined,
        );
        await Promise.allSettled([events.then((ready) => ready.close()), queue.close()]);
        if (owned !== undefined) await closeRedis(owned);
      })();
      return closed;
    },
  };
}

/**
 * A QueueEvents that sees every event from now on. BullMQ's QueueEvents starts reading the
 * events stream at `$` only after a round trip of its own, so a job that finishes in between
 * would never be heard of (its waiter would hang): start it from the stream's last id, read now.
 */
async function openEvents(name: string, connection: ConnectionOptions, client: Redis | undefined): Promise<QueueEvents> {
  const reader = client ?? (connection instanceof Redis ? connection : new Redis({ ...(connection as RedisOptions), lazyConnect: true }));
  try {
    const [last] = await reader.xrevrange(`bull:${name}:events`, '+', '-', 'COUNT', 1);
    const events = new QueueEvents(name, { connection, lastEventId: last?.[0] ?? '0-0' });
    events.setMaxListeners(0);
    await events.waitUntilReady();
    return events;
  } finally {
    if (reader !== client && reader !== connection) reader.disconnect();
  }
}

/**
 * @internal Looks jobs up for the waiters' periodic check: an HMGET and a ZSCORE per job, sent
 * together (the client writes each command without waiting for the replies before it).
 */
export function lookupJobs(queue: Queue): JobLookup {
  return async (jobIds) => {
    const client = await queue.getBackend().client;
    const completed = queue.toKey('completed');
    return Promise.all(
      jobIds.map(async (jobId) => {
        const [[name, finishedOn, failedReason], score] = await Promise.all([
          client.hmget(queue.toKey(jobId), 'name', 'finishedOn', 'failedReason'),
          client.zscore(completed, jobId),
        ]);
        // Every job has a name: none means the key is gone.
        if (name === null || name === undefined) return undefined;
        if (finishedOn === null || finishedOn === undefined) return null;
        if (score === null) return { ok: false, reason: failedReason ?? '' } as const;
        // Completed: BullMQ decodes the stored return value.
        const job = await queue.getJob(jobId);
        return job === undefined ? undefined : ({ ok: true, value: job.returnvalue } as const);
      }),
    );
  };
}
