/**
 * What the fleet keeps in Redis, under `hotworker:fleet:<queue>:`: bundles by content hash,
 * the `current` and `previous` pointers, per-node targets (the canary wave), the node
 * reports, the rollout lock and a channel that tells nodes to look again.
 */
import type { Redis } from 'ioredis';

/** One stored bundle: the bytes as built, and what was built. */
export interface StoredBundle {
  readonly hash: string;
  readonly bytes: Buffer;
  /** The module's name (its entry's base name), used to name the file on each node. */
  readonly name: string;
  readonly exports: readonly string[];
  /** True when the source was CommonJS: nodes serve its `module.exports` (see `artifactFromBundle`). */
  readonly commonjs: boolean;
}

/** What a node reports on every heartbeat (kept in Redis until it stops beating). */
export interface NodeReport {
  readonly id: string;
  readonly host: string;
  readonly pid: number;
  /** The node's local version id (1, 2, … per node). */
  readonly versionId: number;
  /** The content hash of the bundle the node runs: the fleet-wide identity of a version. */
  readonly hash: string;
  /** `starting`, `running`, `upgrading` or `draining`. */
  readonly state: string;
  /** Jobs completed and failed since the node started. */
  readonly done: number;
  readonly failed: number;
  /** Jobs completed and failed on the version it runs now. */
  readonly versionDone: number;
  readonly versionFailed: number;
  /** The last version the node failed to run, `<hash> <message>`, or ''. */
  readonly error: string;
  /** Milliseconds since the epoch of the last heartbeat. */
  readonly beatAt: number;
}

export class FleetStore {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(redis: Redis, queue: string) {
    this.#redis = redis;
    this.#prefix = `hotworker:fleet:${queue}:`;
  }

  /** The channel nodes subscribe to: a message means "read your target again". */
  get channel(): string {
    return `${this.#prefix}events`;
  }

  /** Stores a bundle under its hash (idempotent). */
  async putBundle(bundle: StoredBundle): Promise<void> {
    await this.#redis
      .multi()
      .hset(this.#key('bundle', bundle.hash), {
        bytes: bundle.bytes,
        name: bundle.name,
        exports: JSON.stringify(bundle.exports),
        commonjs: bundle.commonjs ? '1' : '0',
        storedAt: String(Date.now()),
      })
      .sadd(this.#key('bundles'), bundle.hash)
      .exec();
  }

  async getBundle(hash: string): Promise<StoredBundle | undefined> {
    const [bytes, name, exports, commonjs] = await this.#redis.hmgetBuffer(
      this.#key('bundle', hash),
      'bytes',
      'name',
      'exports',
      'commonjs',
    );
    if (bytes == null || name == null || exports == null) return undefined;
    return {
      hash,
      bytes,
      name: name.toString(),
      exports: JSON.parse(exports.toString()) as string[],
      commonjs: commonjs?.toString() === '1',
    };
  }

  /** The exports of a stored bundle, without its bytes. */
  async exportsOf(hash: string): Promise<readonly string[] | undefined> {
    const exports = await this.#redis.hget(this.#key('bundle', hash), 'exports');
    return exports === null ? undefined : (JSON.parse(exports) as string[]);
  }

  async pointers(): Promise<{ current: string | undefined; previous: string | undefined }> {
    const [current, previous] = await this.#redis.mget(this.#key('current'), this.#key('previous'));
    return { current: current ?? undefined, previous: previous ?? undefined };
  }

  /** Makes `hash` current unless the fleet already has a current version; resolves with the current one. */
  async initCurrent(hash: string): Promise<string> {
    await this.#redis.set(this.#key('current'), hash, 'NX');
    return (await this.#redis.get(this.#key('current'))) as string;
  }

  /** Moves both pointers at once, drops every per-node target, and tells the nodes. */
  async setPointers(current: string, previous: string | undefined): Promise<void> {
    const ids = await this.#redis.zrange(this.#key('nodes'), '0', '-1');
    const multi = this.#redis.multi().set(this.#key('current'), current);
    if (previous === undefined) multi.del(this.#key('previous'));
    else multi.set(this.#key('previous'), previous);
    for (const id of ids) multi.del(this.#key('target', id));
    await multi.publish(this.channel, 'pointers').exec();
  }

  /** Points one node at a version ahead of the fleet (a canary), and tells it. */
  async setTarget(id: string, hash: string): Promise<void> {
    await this.#redis.multi().set(this.#key('target', id), hash).publish(this.channel, id).exec();
  }

  /** The version a node should run: its own target when it is a canary, else the fleet's current one. */
  async desired(id: string): Promise<string | undefined> {
    const [target, current] = await this.#redis.mget(this.#key('target', id), this.#key('current'));
    return target ?? current ?? undefined;
  }

  /** Writes a node's report, which expires `ttlMs` after its last beat. */
  async report(report: NodeReport, ttlMs: number): Promise<void> {
    const fields = Object.fromEntries(Object.entries(report).map(([key, value]) => [key, String(value)]));
    await this.#redis
      .multi()
      .hset(this.#key('node', report.id), fields)
      .pexpire(this.#key('node', report.id), ttlMs)
      .zadd(this.#key('nodes'), String(report.beatAt), report.id)
      .exec();
  }

  /** Removes a node's report and target (it stopped cleanly). */
  async forget(id: string): Promise<void> {
    await this.#redis.multi().del(this.#key('node', id), this.#key('target', id)).zrem(this.#key('nodes'), id).exec();
  }

  /** Every live node (its report not expired), by id; the expired ones are dropped from the index. */
  async nodes(): Promise<NodeReport[]> {
    const ids = await this.#redis.zrange(this.#key('nodes'), '0', '-1');
    const multi = this.#redis.multi();
    for (const id of ids) multi.hgetall(this.#key('node', id));
    const replies = (await multi.exec()) ?? [];
    const live: NodeReport[] = [];
    const dead: string[] = [];
    replies.forEach(([, fields], index) => {
      const record = fields as Record<string, string>;
      if (record.id === undefined) dead.push(ids[index] as string);
      else live.push(parseReport(record));
    });
    if (dead.length > 0) await this.#redis.zrem(this.#key('nodes'), ...dead);
    return live.sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Takes the rollout lock for `ttlMs`; false when another rollout holds it. */
  async lock(owner: string, ttlMs: number): Promise<boolean> {
    return (await this.#redis.set(this.#key('rollout'), owner, 'PX', String(ttlMs), 'NX')) === 'OK';
  }

  /** Who holds the rollout lock, if anyone. */
  async lockHolder(): Promise<string | undefined> {
    return (await this.#redis.get(this.#key('rollout'))) ?? undefined;
  }

  /** Extends the lock while `owner` holds it. */
  async renewLock(owner: string, ttlMs: number): Promise<void> {
    await this.#redis.eval(
      "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end",
      1,
      this.#key('rollout'),
      owner,
      String(ttlMs),
    );
  }

  async unlock(owner: string): Promise<void> {
    await this.#redis.eval(
      "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end",
      1,
      this.#key('rollout'),
      owner,
    );
  }

  /** Deletes every bundle that is not in `keep`; resolves with the hashes deleted. */
  async prune(keep: ReadonlySet<string>): Promise<string[]> {
    const hashes = await this.#redis.smembers(this.#key('bundles'));
    const old = hashes.filter((hash) => !keep.has(hash));
    if (old.length === 0) return [];
    const multi = this.#redis.multi();
    for (const hash of old) multi.del(this.#key('bundle', hash)).srem(this.#key('bundles'), hash);
    await multi.exec();
    return old;
  }

  /** Every stored bundle's hash. */
  bundles(): Promise<string[]> {
    return this.#redis.smembers(this.#key('bundles'));
  }

  #key(...parts: string[]): string {
    return this.#prefix + parts.join(':');
  }
}

function parseReport(record: Record<string, string>): NodeReport {
  const number = (key: string) => Number(record[key] ?? 0);
  return {
    id: record.id as string,
    host: record.host ?? '',
    pid: number('pid'),
    versionId: number('versionId'),
    hash: record.hash ?? '',
    state: record.state ?? '',
    done: number('done'),
    failed: number('failed'),
    versionDone: number('versionDone'),
    versionFailed: number('versionFailed'),
    error: record.error ?? '',
    beatAt: number('beatAt'),
  };
}
