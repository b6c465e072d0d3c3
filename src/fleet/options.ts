/** Run-time checks of the fleet's options, with the library's message template; unknown keys are refused. */
import { assertInteger, assertKnownKeys, assertObject, assertTimeout, got, invalid } from '../options.js';
import type { NodeOptions } from './node.js';
import type { RolloutOptions } from './rollout.js';

const NODE_KEYS = new Set([
  'module',
  'redis',
  'queue',
  'threads',
  'concurrency',
  'cacheDir',
  'heartbeatInterval',
  'drainTimeout',
  'lockDuration',
  'stalledInterval',
  'id',
]);

const ROLLOUT_KEYS = new Set([
  'module',
  'redis',
  'queue',
  'canaryNodes',
  'canaryJobs',
  'maxErrorRate',
  'timeout',
  'cacheDir',
  'allowBreaking',
  'onProgress',
]);

/** Throws `ERR_HOT_INVALID_OPTION` for a bad {@link NodeOptions}. */
export function validateNodeOptions(options: NodeOptions): void {
  assertObject(options, 'options');
  assertKnownKeys(options, NODE_KEYS, 'node option');
  assertCommon(options);
  for (const key of ['threads', 'concurrency'] as const) {
    if (options[key] !== undefined) assertInteger(options[key], key, 1);
  }
  for (const key of ['heartbeatInterval', 'drainTimeout', 'lockDuration', 'stalledInterval'] as const) {
    if (options[key] !== undefined) assertFiniteTimeout(options[key], key);
  }
  if (options.id !== undefined && (typeof options.id !== 'string' || options.id === '')) {
    throw invalid(`Expected \`id\` to be a non-empty string, got ${got(options.id)}`);
  }
}

/** Throws `ERR_HOT_INVALID_OPTION` for a bad {@link RolloutOptions}. */
export function validateRolloutOptions(options: RolloutOptions): void {
  assertObject(options, 'options');
  assertKnownKeys(options, ROLLOUT_KEYS, 'rollout option');
  assertCommon(options);
  if (options.canaryNodes !== undefined) assertInteger(options.canaryNodes, 'canaryNodes', 0);
  if (options.canaryJobs !== undefined) assertInteger(options.canaryJobs, 'canaryJobs', 0);
  if (options.timeout !== undefined) assertFiniteTimeout(options.timeout, 'timeout');
  const rate = options.maxErrorRate;
  if (rate !== undefined && (typeof rate !== 'number' || !(rate >= 0 && rate <= 1))) {
    throw invalid(`Expected \`maxErrorRate\` to be a number from 0 to 1, got ${got(rate)}`);
  }
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
    throw invalid(`Expected \`onProgress\` to be a function, got ${got(options.onProgress)}`);
  }
}

function assertCommon(options: { module?: unknown; redis?: unknown; queue?: unknown; cacheDir?: unknown }): void {
  if ('module' in options && (typeof options.module !== 'string' || options.module === '')) {
    throw invalid(`Expected \`module\` to be a path, got ${got(options.module)}`);
  }
  if (typeof options.redis !== 'string' && (typeof options.redis !== 'object' || options.redis === null)) {
    throw invalid(`Expected \`redis\` to be a redis:// URL or an ioredis client, got ${got(options.redis)}`);
  }
  if (typeof options.queue !== 'string' || options.queue === '') {
    throw invalid(`Expected \`queue\` to be a queue name, got ${got(options.queue)}`);
  }
  if (options.cacheDir !== undefined && (typeof options.cacheDir !== 'string' || options.cacheDir === '')) {
    throw invalid(`Expected \`cacheDir\` to be a directory path, got ${got(options.cacheDir)}`);
  }
}

/** A timer's milliseconds: the library's timeout check, without `Infinity` (these become intervals and deadlines). */
function assertFiniteTimeout(value: unknown, name: string): void {
  assertTimeout(value, name);
  if (value === Number.POSITIVE_INFINITY) throw invalid(`Expected \`${name}\` to be a finite number of milliseconds, got ${got(value)}`);
}
