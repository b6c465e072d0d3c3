/**
 * Options of safe rollouts: a canary upgrade's steps and limits, and the watch after a plain
 * upgrade (`rollbackOn`). Types, defaults and validation, in the template of options.ts.
 */
import { assertInteger, assertKnownKeys, assertObject, assertTimeout, got, invalid } from './options.js';

/** A canary upgrade: the new version takes a growing share of new calls, step by step. */
export interface CanaryOptions {
  /**
   * Percentages of new calls sent to the new version, one per step: ascending integers in
   * 1..100, ending at 100. At 100 the old version is still kept until that step passes.
   * @default [5, 25, 50, 100]
   */
  steps?: number[];
  /**
   * Calls the new version must have served (started at that step) before a step can pass.
   * @default 200
   */
  minCalls?: number;
  /**
   * Highest error rate (errors / calls, 0..1) of the new version at a step. A step fails as
   * soon as its errors exceed `maxErrorRate × minCalls`, without waiting for `minCalls`.
   * @default 0.01
   */
  maxErrorRate?: number;
  /**
   * Highest ratio of the new version's p99 latency to the old version's over the same step
   * (the old version's previous step when it served nothing at this one, as at 100%).
   * `Infinity` turns the latency check off.
   * @default 2
   */
  maxLatencyRatio?: number;
  /**
   * Milliseconds a step may wait for `minCalls`; then, if the figures so far are within the
   * limits, `onIdle` decides.
   * @default Infinity
   */
  maxStepMs?: number;
  /**
   * What a step that reached `maxStepMs` without `minCalls` calls does.
   * @default 'fail'
   */
  onIdle?: 'pass' | 'fail';
  /**
   * Count the module's own thrown errors as errors of the version. Host errors (worker exits,
   * call timeouts, clone errors, load failures) always count; a caller's abort never does.
   * @default false
   */
  countUserErrors?: boolean;
}

/** Canary options with every default applied. */
export type ResolvedCanary = Required<CanaryOptions>;

/**
 * The watch after a plain upgrade: the old version's pool is kept, idle, until the new one has
 * served `calls` calls or `withinMs` has passed. If the new version's host errors cross
 * `errorRate` in that window, traffic shifts straight back to the kept pool.
 */
export interface RollbackOnOptions {
  /**
   * Highest share of host errors (0..1) among the new version's first `calls` calls. Crossed as
   * soon as errors exceed `errorRate × calls`, or at `withinMs` over the calls served by then.
   */
  errorRate: number;
  /**
   * How many of the new version's calls the window covers.
   * @default 100
   */
  calls?: number;
  /**
   * Longest the window stays open, in milliseconds.
   * @default 60_000
   */
  withinMs?: number;
}

export type ResolvedRollbackOn = Required<RollbackOnOptions>;

const canaryKeys = new Set(['steps', 'minCalls', 'maxErrorRate', 'maxLatencyRatio', 'maxStepMs', 'onIdle', 'countUserErrors']);

/** Validates canary options and applies defaults. Throws `ERR_HOT_INVALID_OPTION`. */
export function resolveCanary(options: CanaryOptions | true): ResolvedCanary {
  const canary = options === true ? {} : options;
  assertObject(canary, 'canary');
  assertKnownKeys(canary, canaryKeys, 'canary option');
  const steps = canary.steps ?? [5, 25, 50, 100];
  const ascending =
    Array.isArray(steps) &&
    steps.every((step, i) => Number.isInteger(step) && step >= 1 && step <= 100 && (i === 0 || step > (steps[i - 1] ?? 0)));
  if (!ascending || steps.length === 0 || steps.at(-1) !== 100) {
    throw invalid(`Expected \`canary.steps\` to be ascending integer percentages ending at 100, got ${got(steps)}`);
  }
  const minCalls = canary.minCalls ?? 200;
  assertInteger(minCalls, 'canary.minCalls', 1);
  const maxErrorRate = canary.maxErrorRate ?? 0.01;
  assertRate(maxErrorRate, 'canary.maxErrorRate');
  const maxLatencyRatio = canary.maxLatencyRatio ?? 2;
  if (typeof maxLatencyRatio !== 'number' || !(maxLatencyRatio >= 1)) {
    throw invalid(`Expected \`canary.maxLatencyRatio\` to be a number >= 1 (or Infinity), got ${got(maxLatencyRatio)}`);
  }
  const maxStepMs = canary.maxStepMs ?? Number.POSITIVE_INFINITY;
  assertTimeout(maxStepMs, 'canary.maxStepMs');
  const onIdle = canary.onIdle ?? 'fail';
  if (onIdle !== 'pass' && onIdle !== 'fail') throw invalid(`Expected \`canary.onIdle\` to be 'pass' or 'fail', got ${got(onIdle)}`);
  const countUserErrors = canary.countUserErrors ?? false;
  if (typeof countUserErrors !== 'boolean')
    throw invalid(`Expected \`canary.countUserErrors\` to be a boolean, got ${got(countUserErrors)}`);
  return { steps: [...steps], minCalls, maxErrorRate, maxLatencyRatio, maxStepMs, onIdle, countUserErrors };
}

/** Validates `rollbackOn` and applies defaults. Throws `ERR_HOT_INVALID_OPTION`. */
export function resolveRollbackOn(options: RollbackOnOptions): ResolvedRollbackOn {
  assertObject(options, 'rollbackOn');
  assertKnownKeys(options, new Set(['errorRate', 'calls', 'withinMs']), 'rollbackOn option');
  assertRate(options.errorRate, 'rollbackOn.errorRate');
  const calls = options.calls ?? 100;
  assertInteger(calls, 'rollbackOn.calls', 1);
  const withinMs = options.withinMs ?? 60_000;
  assertTimeout(withinMs, 'rollbackOn.withinMs');
  return { errorRate: options.errorRate, calls, withinMs };
}

function assertRate(value: unknown, name: string): void {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw invalid(`Expected \`${name}\` to be a number from 0 to 1, got ${got(value)}`);
  }
}
