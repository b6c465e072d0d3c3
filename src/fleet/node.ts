/**
 * A fleet node: a BullMQ `Worker` whose processor calls a hot module. The node runs the
 * fleet's current version, fetched from Redis byte for byte, reports itself on a heartbeat,
 * and upgrades in place whenever its target changes (a rollout, a rollback).
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import { availableParallelism, hostname } from 'node:os';
import { basename, extname, resolve } from 'node:path';
import { type Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { artifactFromBundle, buildArtifact, HotError, type HotModule, hot } from '../index.js';
import { closeRedis, openRedis, type RedisLike } from './connection.js';
import { jobFailure } from './failure.js';
import { validateNodeOptions } from './options.js';
import { FleetStore, type NodeReport } from './store.js';

/** Options of {@link startNode} (and `hotworker worker`). */
export interface NodeOptions {
  /** The module's entry: built only when the fleet has no version yet (it then becomes the fleet's first). */
  module: string;
  /** A Redis URL or an ioredis client (which the node leaves open when it closes). */
  redis: RedisLike;
  /** The BullMQ queue the node takes jobs from. */
  queue: string;
  /**
   * Worker threads of the module's pool.
   * @default Math.max(1, Math.floor(os.availableParallelism() / 2))
   */
  threads?: number;
  /**
   * Jobs the node runs at once.
   * @default threads (the pool size)
   */
  concurrency?: number;
  /**
   * Where bundles fetched from Redis are written.
   * @default '.hotworker'
   */
  cacheDir?: string;
  /**
   * Milliseconds between heartbeats; a node's report expires after three missed beats.
   * @default 1_000
   */
  heartbeatInterval?: number;
  /**
   * Milliseconds jobs in flight have to finish when the node closes; then they are left to
   * BullMQ's stalled-job check (another node runs them again).
   * @default 30_000
   */
  drainTimeout?: number;
  /**
   * BullMQ's job lock, in milliseconds: a job whose node stops renewing it is stalled after this.
   * @default 30_000 (BullMQ's default)
   */
  lockDuration?: number;
  /**
   * How often, in milliseconds, BullMQ looks for stalled jobs (of nodes that died) to run again.
   * @default 30_000 (BullMQ's default)
   */
  stalledInterval?: number;
  /**
   * The node's id in the fleet.
   * @default `<hostname>-<pid>-<random>`
   */
  id?: string;
}

/** The events of a {@link FleetNode}. */
export interface FleetNodeEvents {
  /** The node now runs `hash` (after its start, a rollout wave or a rollback). */
  version: [event: { hash: string; versionId: number }];
  /** The node could not run `hash`; it keeps running the version it had. */
  'upgrade-failed': [event: { hash: string; error: unknown }];
  /** Redis or BullMQ reported a problem the node rides out (a lost connection, say). */
  warning: [error: Error];
}

/** @internal What a node keeps of its options once started. */
interface NodeSettings {
  readonly heartbeatInterval: number;
  readonly drainTimeout: number;
  readonly cacheDir: string;
}

/** One node of a fleet. Create it with {@link startNode}. */
export class FleetNode extends EventEmitter<FleetNodeEvents> {
  readonly id: string;
  readonly #options: NodeSettings;
  readonly #connection: { client: Redis; owned: boolean };
  readonly #subscriber: Redis;
  readonly #store: FleetStore;
  readonly #module: HotModule;
  readonly #name: string;
  #worker: Worker | undefined;
  #workerConnection: Redis | undefined;
  #state: 'running' | 'upgrading' | 'draining' = 'running';
  #done = 0;
  #failed = 0;
  /**
   * Completed and failed jobs of the version this node runs, since it last moved to it: a
   * rollout's canary is judged on these, so a version rolled out again after a rollback starts
   * from zero rather than from its earlier jobs. A job counts for the version it ran on.
   */
  #versionCounts = { hash: '', done: 0, failed: 0 };
  /** The version this node failed to run, so it does not retry it until the target changes. */
  #refused: { hash: string; message: string } | undefined;
  #reconciling: Promise<void> | undefined;
  #again = false;
  #heartbeat: NodeJS.Timeout | undefined;
  #beating = false;
  #closed: Promise<void> | undefined;

  /** @internal Use {@link startNode}. */
  constructor(
    id: string,
    options: NodeSettings,
    connection: { client: Redis; owned: boolean },
    store: FleetStore,
    module: HotModule,
    name: string,
  ) {
    super();
    this.id = id;
    this.#options = options;
    this.#connection = connection;
    this.#store = store;
    this.#module = module;
    this.#name = name;
    this.#subscriber = connection.client.duplicate();
  }

  /** The content hash of the version the node runs. */
  get hash(): string {
    return this.#module.version.hash;
  }

  /** The hot module the node's jobs call. */
  get module(): HotModule {
    return this.#module;
  }

  /** What the node reports on its heartbeat. */
  get report(): NodeReport {
    const version = this.#module.version;
    const counts = this.#versionCounts.hash === version.hash ? this.#versionCounts : { done: 0, failed: 0 };
    return {
      id: this.id,
      host: hostname(),
      pid: process.pid,
      versionId: version.id,
      hash: version.hash,
      state: this.#state,
      done: this.#done,
      failed: this.#failed,
      versionDone: counts.done,
      versionFailed: counts.failed,
      error: this.#refused === undefined ? '' : `${this.#refused.hash} ${this.#refused.message}`,
      beatAt: Date.now(),
    };
  }

  /** @internal Starts taking jobs, beating and listening for new targets. */
  async begin(queue: string, concurrency: number, bullmq: { lockDuration?: number; stalledInterval?: number }): Promise<void> {
    this.#subscriber.on('error', (error) => this.emit('warning', error));
    this.#subscriber.on('message', () => this.#reconcile());
    await this.#subscriber.subscribe(this.#store.channel);
    await this.#beat();
    this.#heartbeat = setInterval(() => {
      void this.#beat();
      this.#reconcile();
    }, this.#options.heartbeatInterval);
    // The worker's own connection: BullMQ's blocking reads must never hold up a heartbeat.
    this.#workerConnection = this.#connection.client.duplicate();
    this.#worker = new Worker(queue, (job) => this.#process(job), {
      connection: this.#workerConnection,
      concurrency,
      ...bullmq,
    });
    this.#worker.on('error', (error) => this.emit('warning', error));
    this.#reconcile();
  }

  async #process(job: Job): Promise<unknown> {
    const hash = this.#module.version.hash;
    if (this.#versionCounts.hash !== hash) this.#versionCounts = { hash, done: 0, failed: 0 };
    const counts = this.#versionCounts;
    try {
      if (!Array.isArray(job.data)) {
        throw new HotError(
          'ERR_HOT_CLONE',
          `job.data of job ${job.id} (${job.name}) must be the array of arguments, got ${typeof job.data}`,
          {
            fn: job.name,
          },
        );
      }
      const result = await this.#module.run(job.name as never, job.data as never);
      counts.done++;
      this.#done++;
      return result;
    } catch (error) {
      counts.failed++;
      this.#failed++;
      throw jobFailure(error);
    }
  }

  /** Brings the node to the version it should run; one pass at a time, again if told during one. */
  #reconcile(): void {
    if (this.#closed !== undefined) return;
    if (this.#reconciling !== undefined) {
      this.#again = true;
      return;
    }
    this.#reconciling = (async () => {
      do {
        this.#again = false;
        try {
          await this.#moveTo(await this.#store.desired(this.id));
        } catch (error) {
          this.emit('warning', error as Error);
        }
      } while (this.#again && this.#closed === undefined);
    })().finally(() => {
      this.#reconciling = undefined;
    });
  }

  async #moveTo(hash: string | undefined): Promise<void> {
    // A refusal stands until the fleet wants another version.
    if (this.#refused !== undefined && this.#refused.hash !== hash) this.#refused = undefined;
    if (hash === undefined || hash === this.hash || this.#closed !== undefined || this.#refused !== undefined) return;
    this.#state = 'upgrading';
    void this.#beat();
    try {
      const bundle = await this.#store.getBundle(hash);
      if (bundle === undefined) {
        throw new HotError('ERR_HOT_LOAD', `Version ${hash} is not stored in Redis (pruned, or never stored)`);
      }
      const artifact = await artifactFromBundle(bundle.bytes, this.#options.cacheDir, bundle.name, { commonjs: bundle.commonjs });
      // Breaking changes are checked once by the rollout, for the whole fleet; a rollback
      // must always be possible, whatever the newer version added.
      await this.#module.upgrade({ artifact, allowBreaking: true });
      // Counted afresh from the move: a canary of this version judges the jobs it runs now.
      this.#versionCounts = { hash: this.#module.version.hash, done: 0, failed: 0 };
      this.emit('version', { hash, versionId: this.#module.version.id });
    } catch (error) {
      if (this.#closed !== undefined) return;
      this.#refused = { hash, message: oneLine(error) };
      this.emit('upgrade-failed', { hash, error });
    } finally {
      if (this.#state === 'upgrading') this.#state = 'running';
      void this.#beat();
    }
  }

  async #beat(): Promise<void> {
    // While Redis is away, commands wait for the reconnection; one beat in flight is enough.
    if (this.#beating) return;
    this.#beating = true;
    try {
      await this.#store.report(this.report, this.#options.heartbeatInterval * 3);
    } catch (error) {
      this.emit('warning', error as Error);
    } finally {
      this.#beating = false;
    }
  }

  /**
   * Stops taking jobs, lets the jobs in flight finish (within `drainTimeout`; jobs still
   * running then are left to the stalled-job check), closes the module and leaves the
   * fleet's registry. Safe to call twice.
   */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#state = 'draining';
      clearInterval(this.#heartbeat);
      await this.#beat();
      if (this.#worker !== undefined) {
        const worker = this.#worker;
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<'late'>((resolve) => {
          timer = setTimeout(() => resolve('late'), this.#options.drainTimeout);
        });
        const outcome = await Promise.race([worker.close(), late]);
        clearTimeout(timer);
        if (outcome === 'late') await worker.close(true);
      }
      await this.#reconciling;
      await this.#module.close();
      await this.#store.forget(this.id).catch(() => undefined);
      this.#subscriber.disconnect();
      this.#workerConnection?.disconnect();
      await closeRedis(this.#connection);
    })();
    return this.#closed;
  }

  /** `await using node = await startNode(...)` closes the node at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Starts a fleet node: loads the fleet's current version from Redis (or, when the fleet has
 * none, builds `module` and makes it the fleet's first), then takes jobs from `queue`.
 * @example
 * const node = await startNode({ module: './render.ts', redis: 'redis://127.0.0.1:6379', queue: 'render' });
 * process.once('SIGTERM', () => node.close());
 */
export async function startNode(options: NodeOptions): Promise<FleetNode> {
  validateNodeOptions(options);
  const threads = options.threads ?? Math.max(1, Math.floor(availableParallelism() / 2));
  const cacheDir = resolve(options.cacheDir ?? '.hotworker');
  const entry = resolve(options.module);
  const name = basename(entry, extname(entry));
  const id = options.id ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const connection = openRedis(options.redis);
  try {
    const store = new FleetStore(connection.client, options.queue);
    const hash = (await store.pointers()).current ?? (await seedFleet(store, entry, cacheDir, name));
    const bundle = await store.getBundle(hash);
    if (bundle === undefined) {
      throw new HotError('ERR_HOT_LOAD', `The fleet's current version ${hash} is not stored in Redis; run \`hotworker rollout\` again`);
    }
    const artifact = await artifactFromBundle(bundle.bytes, cacheDir, bundle.name, { commonjs: bundle.commonjs });
    const module = await hot(artifact, { threads, drainTimeout: options.drainTimeout ?? 30_000, cacheDir });
    const node = new FleetNode(
      id,
      { heartbeatInterval: options.heartbeatInterval ?? 1_000, drainTimeout: options.drainTimeout ?? 30_000, cacheDir },
      connection,
      store,
      module,
      name,
    );
    const bullmq = {
      ...(options.lockDuration === undefined ? {} : { lockDuration: options.lockDuration }),
      ...(options.stalledInterval === undefined ? {} : { stalledInterval: options.stalledInterval }),
    };
    await node.begin(options.queue, options.concurrency ?? threads, bullmq);
    return node;
  } catch (error) {
    await closeRedis(connection);
    throw error;
  }
}

/** The first node of a fleet builds its module and offers it as the fleet's first version; another node may win the race. */
async function seedFleet(store: FleetStore, entry: string, cacheDir: string, name: string): Promise<string> {
  const artifact = await buildArtifact(entry, cacheDir);
  await store.putBundle({
    hash: artifact.hash,
    bytes: await readFile(artifact.file),
    name,
    exports: artifact.exports,
    commonjs: artifact.commonjs,
  });
  return store.initCurrent(artifact.hash);
}

function oneLine(error: unknown): string {
  const text = HotError.is(error) ? `${error.code}: ${error.message}` : String((error as Error)?.message ?? error);
  return text.split('\n', 1)[0] as string;
}
