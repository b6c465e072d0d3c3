/**
 * Fleet rollouts: build once, store the bundle in Redis under its hash, move the canary nodes,
 * watch their jobs, then move every node; on any failure move every node back. Also the
 * fleet-wide rollback and status. One rollout at a time per queue (a lock in Redis).
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, extname, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildArtifact, HotError } from '../index.js';
import { closeRedis, openRedis, type RedisLike } from './connection.js';
import { validateRolloutOptions } from './options.js';
import { FleetStore, type NodeReport } from './store.js';

/** What a rollout is doing, told to `onProgress` whenever a node's report changes. */
export interface RolloutProgress {
  /** `canary`: the canary nodes move; `fleet`: every node moves; `rollback`: every node moves back. */
  readonly phase: 'canary' | 'fleet' | 'rollback';
  /** The version the nodes are moving to. */
  readonly hash: string;
  /** Every live node's last report. */
  readonly nodes: readonly NodeReport[];
}

/** Options of {@link rollout} (and `hotworker rollout`). */
export interface RolloutOptions {
  /** The module's entry, built once here. */
  module: string;
  /** A Redis URL or an ioredis client (left open). */
  redis: RedisLike;
  /** The fleet's BullMQ queue. */
  queue: string;
  /**
   * Nodes that run the new version first, before the rest of the fleet.
   * @default 1
   */
  canaryNodes?: number;
  /**
   * Jobs the canary nodes must finish on the new version (all of them together) before the rest of the fleet moves.
   * @default 200
   */
  canaryJobs?: number;
  /**
   * Highest share of the canary's jobs that may fail (0 to 1); more stops the rollout.
   * @default 0.01
   */
  maxErrorRate?: number;
  /**
   * Milliseconds the whole rollout may take; past it, the fleet is moved back.
   * @default 60_000
   */
  timeout?: number;
  /**
   * Where the bundle is built.
   * @default '.hotworker'
   */
  cacheDir?: string;
  /**
   * Roll out even when the new version lacks exports the current one has (queued jobs calling them will fail).
   * @default false
   */
  allowBreaking?: boolean;
  /** Told of every change in the nodes' reports while the rollout runs. */
  onProgress?: (progress: RolloutProgress) => void;
}

/** What a finished rollout (or rollback) did. */
export interface RolloutResult {
  /** The version every live node runs now. */
  readonly hash: string;
  /** The version before it (the fleet's `previous` pointer). */
  readonly previous: string | undefined;
  /** False when the fleet already ran this build: nothing moved. */
  readonly changed: boolean;
  /** Every live node's last report. */
  readonly nodes: readonly NodeReport[];
  /** Bundles deleted from Redis (no node runs them and they are not the previous version). */
  readonly pruned: readonly string[];
}

/** A rollout that failed and moved the fleet back: `code` is `ERR_HOT_ROLLOUT_FAILED`, `nodes` the per-node table. */
export class RolloutError extends HotError {
  /** Every live node's report after the fleet moved back. */
  readonly nodes: readonly NodeReport[];
  /** The version that was refused. */
  readonly hash: string;
  /** True when every live node runs the previous version again. */
  readonly restored: boolean;

  /** HotError's brand check would accept any HotError; a RolloutError is the failed rollout only. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return HotError.is(value, 'ERR_HOT_ROLLOUT_FAILED') && Array.isArray((value as { nodes?: unknown }).nodes);
  }

  constructor(message: string, hash: string, nodes: readonly NodeReport[], restored: boolean) {
    super('ERR_HOT_ROLLOUT_FAILED', message);
    this.hash = hash;
    this.nodes = nodes;
    this.restored = restored;
  }
}

const LOCK_MS = 15_000;
const POLL_MS = 100;

/**
 * Rolls a new version of `module` out to the fleet in waves. Resolves once every live node
 * runs it; rejects {@link RolloutError} (after moving every node back to the previous version)
 * when a node cannot load it or the canary fails too many jobs, `ERR_HOT_ROLLOUT_BUSY` when
 * another rollout runs, `ERR_HOT_INCOMPATIBLE` or `ERR_HOT_BUILD` before anything moved.
 */
export async function rollout(options: RolloutOptions): Promise<RolloutResult> {
  validateRolloutOptions(options);
  const entry = resolve(options.module);
  const artifact = await buildArtifact(entry, resolve(options.cacheDir ?? '.hotworker'));
  return withLock(options, async (store, until) => {
    const { current, previous } = await store.pointers();
    const hash = artifact.hash;
    if (current === hash) return { hash, previous, changed: false, nodes: await store.nodes(), pruned: [] };
    if (current !== undefined && options.allowBreaking !== true) {
      const missing = ((await store.exportsOf(current)) ?? []).filter((name) => !artifact.exports.includes(name));
      if (missing.length > 0) {
        throw new HotError(
          'ERR_HOT_INCOMPATIBLE',
          `The new version of ${entry} no longer exports ${missing.join(', ')}; jobs queued for them would fail. Pass --allow-breaking (allowBreaking: true) to roll out anyway.`,
          { missing },
        );
      }
    }
    const name = basename(entry, extname(entry));
    await store.putBundle({ hash, bytes: await readFile(artifact.file), name, exports: artifact.exports, commonjs: artifact.commonjs });
    if (current === undefined) {
      await store.setPointers(hash, undefined);
      return finish(store, hash, undefined, options, until);
    }
    try {
      await canary(store, hash, options, until);
      await store.setPointers(hash, current);
      await waitForFleet(store, hash, 'fleet', options, until);
    } catch (error) {
      await store.setPointers(current, previous);
      const restored = await waitForFleet(store, current, 'rollback', options, Date.now() + (options.timeout ?? 60_000)).then(
        () => true,
        () => false,
      );
      const nodes = await store.nodes();
      const why = (error as Error).message;
      throw new RolloutError(
        `Rollout of ${hash} stopped: ${why}. ${restored ? `Every node runs ${current} again.` : `Not every node is back on ${current} yet.`}\n${nodeTable(nodes)}`,
        hash,
        nodes,
        restored,
      );
    }
    return finish(store, hash, current, options, until);
  });
}

/** Options of {@link rollback} and {@link fleetStatus}. */
export interface FleetOptions {
  /** A Redis URL or an ioredis client (left open). */
  redis: RedisLike;
  /** The fleet's BullMQ queue. */
  queue: string;
  /**
   * Milliseconds to wait for every node to move back.
   * @default 60_000
   */
  timeout?: number;
}

/**
 * Moves every node back to the fleet's previous version (the two pointers swap, so a second
 * rollback rolls forward again). Rejects `ERR_HOT_NO_PREVIOUS` when there is none.
 */
export function rollback(options: FleetOptions): Promise<RolloutResult> {
  return withLock(options, async (store, until) => {
    const { current, previous } = await store.pointers();
    if (previous === undefined || current === undefined) {
      throw new HotError('ERR_HOT_NO_PREVIOUS', `Cannot roll back the fleet of queue ${options.queue}: it has no previous version`);
    }
    if ((await store.getBundle(previous)) === undefined) {
      throw new HotError(
        'ERR_HOT_NO_PREVIOUS',
        `Cannot roll back the fleet of queue ${options.queue}: version ${previous} is no longer stored`,
      );
    }
    await store.setPointers(previous, current);
    return finish(store, previous, current, options, until);
  });
}

/** The fleet as Redis knows it: pointers, the rollout running (if any) and every live node. */
export interface FleetStatus {
  readonly current: string | undefined;
  readonly previous: string | undefined;
  /** The id of the rollout holding the lock, if one runs. */
  readonly rollout: string | undefined;
  readonly nodes: readonly NodeReport[];
  /** Every bundle stored. */
  readonly bundles: readonly string[];
}

/** Reads the fleet's state from Redis. */
export async function fleetStatus(options: Omit<FleetOptions, 'timeout'>): Promise<FleetStatus> {
  const connection = openRedis(options.redis);
  try {
    const store = new FleetStore(connection.client, options.queue);
    const [{ current, previous }, rollout, nodes, bundles] = await Promise.all([
      store.pointers(),
      store.lockHolder(),
      store.nodes(),
      store.bundles(),
    ]);
    return { current, previous, rollout, nodes, bundles };
  } finally {
    await closeRedis(connection);
  }
}

/** One line per node: id, host, pid, version, state, jobs done and failed, last error. */
export function nodeTable(nodes: readonly NodeReport[]): string {
  if (nodes.length === 0) return '(no live nodes)';
  const rows = [
    ['NODE', 'HOST', 'PID', 'VERSION', 'STATE', 'DONE', 'FAILED', 'ERROR'],
    ...nodes.map((n) => [n.id, n.host, String(n.pid), n.hash, n.state, String(n.done), String(n.failed), n.error]),
  ];
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

async function withLock<T>(
  options: { redis: RedisLike; queue: string; timeout?: number },
  body: (store: FleetStore, until: number) => Promise<T>,
): Promise<T> {
  const connection = openRedis(options.redis);
  const owner = randomUUID();
  const store = new FleetStore(connection.client, options.queue);
  try {
    if (!(await store.lock(owner, LOCK_MS))) {
      const holder = await store.lockHolder();
      throw new HotError(
        'ERR_HOT_ROLLOUT_BUSY',
        `Another rollout or rollback of queue ${options.queue} is running (${holder ?? 'just finished'}); wait for it to end (see \`hotworker fleet status\`)`,
      );
    }
    // Renewed while this process lives; a crashed rollout frees the lock within LOCK_MS.
    const renew = setInterval(() => void store.renewLock(owner, LOCK_MS).catch(() => undefined), LOCK_MS / 3);
    try {
      return await body(store, Date.now() + (options.timeout ?? 60_000));
    } finally {
      clearInterval(renew);
      await store.unlock(owner).catch(() => undefined);
    }
  } finally {
    await closeRedis(connection);
  }
}

/** Moves the canary nodes and waits until they have run `canaryJobs` jobs within the error rate. */
async function canary(store: FleetStore, hash: string, options: RolloutOptions, until: number): Promise<void> {
  const count = options.canaryNodes ?? 1;
  const jobs = options.canaryJobs ?? 200;
  const maxRate = options.maxErrorRate ?? 0.01;
  const live = (await store.nodes()).filter((node) => node.state !== 'draining');
  const canaries = live.slice(0, count).map((node) => node.id);
  if (canaries.length === 0) return;
  for (const id of canaries) await store.setTarget(id, hash);
  await poll(store, 'canary', hash, options, until, (nodes) => {
    const mine = canaries.map((id) => nodes.find((node) => node.id === id));
    const gone = canaries.filter((_, index) => mine[index] === undefined);
    if (gone.length > 0) throw new Error(`canary node ${gone.join(', ')} left the fleet`);
    refusal(mine as NodeReport[], hash);
    const moved = (mine as NodeReport[]).filter((node) => node.hash === hash);
    const done = moved.reduce((sum, node) => sum + node.versionDone, 0);
    const failed = moved.reduce((sum, node) => sum + node.versionFailed, 0);
    // More failures than the rate allows in `jobs` jobs can never come back under it.
    if (failed > maxRate * Math.max(jobs, done + failed) || (done + failed >= jobs && failed > maxRate * (done + failed))) {
      throw new Error(`the canary failed ${failed} of ${done + failed} jobs (more than --max-error-rate ${maxRate})`);
    }
    return moved.length === canaries.length && done + failed >= jobs;
  });
}

/** Waits until every live node runs `hash`. */
async function waitForFleet(
  store: FleetStore,
  hash: string,
  phase: 'fleet' | 'rollback',
  options: RolloutOptions | FleetOptions,
  until: number,
): Promise<void> {
  await poll(store, phase, hash, options, until, (nodes) => {
    if (phase === 'fleet') refusal(nodes, hash);
    return nodes.every((node) => node.hash === hash || node.state === 'draining');
  });
}

/** A node that reports it could not run `hash` stops the rollout. */
function refusal(nodes: readonly NodeReport[], hash: string): void {
  const refused = nodes.find((node) => node.error.startsWith(`${hash} `));
  if (refused !== undefined) throw new Error(`node ${refused.id} could not run it: ${refused.error.slice(hash.length + 1)}`);
}

async function poll(
  store: FleetStore,
  phase: RolloutProgress['phase'],
  hash: string,
  options: RolloutOptions | FleetOptions,
  until: number,
  done: (nodes: readonly NodeReport[]) => boolean,
): Promise<void> {
  let last = '';
  for (;;) {
    const nodes = await store.nodes();
    const seen = JSON.stringify(nodes.map((node) => [node.id, node.hash, node.state, node.error]));
    if (seen !== last && 'onProgress' in options) options.onProgress?.({ phase, hash, nodes });
    last = seen;
    if (done(nodes)) return;
    if (Date.now() > until) {
      const behind = nodes.filter((node) => node.hash !== hash).map((node) => node.id);
      throw new Error(`timed out with ${behind.length > 0 ? `${behind.join(', ')} not on ${hash}` : 'the canary short of its jobs'}`);
    }
    await sleep(POLL_MS);
  }
}

async function finish(
  store: FleetStore,
  hash: string,
  previous: string | undefined,
  options: RolloutOptions | FleetOptions,
  until: number,
): Promise<RolloutResult> {
  await waitForFleet(store, hash, 'fleet', options, until);
  const nodes = await store.nodes();
  const keep = new Set([hash, ...(previous === undefined ? [] : [previous]), ...nodes.map((node) => node.hash)]);
  const pruned = await store.prune(keep);
  return { hash, previous, changed: true, nodes, pruned };
}
