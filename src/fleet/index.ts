/**
 * hotworker/fleet: hot modules as a fleet of BullMQ nodes on Redis, upgraded in waves.
 * Its own entry point, so that `import 'hotworker'` never loads BullMQ or ioredis.
 * This file is the public surface only.
 */
export type { RedisLike } from './connection.js';
export { FleetNode, type FleetNodeEvents, type NodeOptions, startNode } from './node.js';
export { type RemoteModule, type RemoteOptions, remote } from './remote.js';
export {
  type FleetOptions,
  type FleetStatus,
  fleetStatus,
  nodeTable,
  RolloutError,
  type RolloutOptions,
  type RolloutProgress,
  type RolloutResult,
  rollback,
  rollout,
} from './rollout.js';
export type { NodeReport } from './store.js';
