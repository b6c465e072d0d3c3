import { describe, expect, it } from 'vitest';
import { latencyPercentiles, median, pairedRatio, percentile, summarize } from '../bench/lib/stats.js';

describe('bench statistics', () => {
  it('interpolates percentiles between ranks and never sorts the input in place', () => {
    const values = [4, 1, 3, 2];
    expect(median(values)).toBe(2.5);
    expect(percentile(values, 0)).toBe(1);
    expect(percentile(values, 100)).toBe(4);
    expect(percentile(values, 25)).toBeCloseTo(1.75);
    expect(values).toEqual([4, 1, 3, 2]);
  });

  it('sorts numerically, not as strings', () => {
    expect(summarize([10, 9, 100])).toEqual({ median: 10, min: 9, max: 100, n: 3 });
  });

  it('gives NaN, not a throw, for no samples', () => {
    expect(summarize([])).toMatchObject({ median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 });
    expect(latencyPercentiles([]).p99).toBeNaN();
  });

  it('pairs ratios run by run, then summarizes them', () => {
    // Run 2 was slow for both: paired, its ratio is as good as the others.
    expect(pairedRatio([110, 220, 105], [100, 200, 100])).toEqual({ median: 1.1, min: 1.05, max: 1.1, n: 3 });
    expect(() => pairedRatio([1, 2], [1])).toThrow(RangeError);
  });

  it('reports p50, p95, p99 and max of latency samples', () => {
    const samples = Array.from({ length: 101 }, (_, i) => i);
    expect(latencyPercentiles(samples)).toEqual({ p50: 50, p95: 95, p99: 99, max: 100, n: 101 });
  });
});
