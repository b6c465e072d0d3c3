// Types for stats.js, so that test/bench-stats.test.ts type-checks against it.
export interface Summary {
  median: number;
  min: number;
  max: number;
  n: number;
}
export interface LatencyPercentiles {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  n: number;
}
export function sorted(values: ArrayLike<number> | Iterable<number>): Float64Array;
export function percentileOfSorted(values: ArrayLike<number>, p: number): number;
export function percentile(values: ArrayLike<number> | Iterable<number>, p: number): number;
export function median(values: ArrayLike<number> | Iterable<number>): number;
export function summarize(values: ArrayLike<number> | Iterable<number>): Summary;
export function pairedRatio(numerators: readonly number[], denominators: readonly number[]): Summary;
export function latencyPercentiles(values: ArrayLike<number> | Iterable<number>): LatencyPercentiles;
