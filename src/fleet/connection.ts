/**
 * Redis connections of the fleet. BullMQ 6 loads `ioredis` as an optional peer, so the fleet
 * depends on it explicitly and opens its clients here; this file (and so BullMQ and ioredis)
 * is only ever loaded through `hotworker/fleet` or the fleet commands.
 */
import { Redis } from 'ioredis';
import { HotError } from '../errors.js';

/** A Redis URL (`redis://host:port/db`) or an ioredis client the caller owns. */
export type RedisLike = string | Redis;

/**
 * A client for the fleet's own commands. `maxRetriesPerRequest: null` is what BullMQ requires
 * of a worker's connection, and lets a command issued while Redis restarts wait for the
 * reconnection instead of failing.
 */
export function openRedis(redis: RedisLike): { client: Redis; owned: boolean } {
  if (typeof redis !== 'string') return { client: redis, owned: false };
  if (!/^rediss?:\/\//.test(redis)) {
    throw new HotError('ERR_HOT_INVALID_OPTION', `Expected \`redis\` to be a redis:// or rediss:// URL, got \`${redis}\``);
  }
  return { client: new Redis(redis, { maxRetriesPerRequest: null, lazyConnect: false }), owned: true };
}

/** Closes a client opened by {@link openRedis}; leaves a caller's client alone. */
export async function closeRedis(connection: { client: Redis; owned: boolean }): Promise<void> {
  if (!connection.owned) return;
  await connection.client.quit().catch(() => connection.client.disconnect());
}
