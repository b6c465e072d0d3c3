/**
 * The p99 a canary step and a watch are judged on comes from a fixed-size sketch, not from
 * every latency kept and sorted (dist/src/latency-sketch.js). It must stay within 1% of the
 * exact nearest-rank quantile, and give the smallest and largest latency exactly.
 */
import { fc, it } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { Sample } from '../dist/src/canary.js';
import { LatencySketch } from '../dist/src/latency-sketch.js';

/** The exact nearest-rank quantile. */
function exact(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1] as number;
}

/** Latencies from 1 µs to an hour, spread over orders of magnitude as real ones are. */
const latency = fc.double({ min: -3, max: 6.5, noNaN: true }).map((exponent) => 10 ** exponent);

describe('latency sketch', () => {
  it.prop([fc.array(latency, { minLength: 1, maxLength: 3000 }), fc.constantFrom(0.5, 0.9, 0.99, 0.999)])(
    'reads any quantile within 1% of the exact one',
    (values, q) => {
      const sketch = new LatencySketch();
      for (const value of values) sketch.add(value);
      const truth = exact(values, q);
      expect(Math.abs((sketch.quantile(q) as number) - truth)).toBeLessThanOrEqual(truth * 0.01);
    },
  );

  it.prop([fc.array(latency, { minLength: 1, maxLength: 500 })])('gives the smallest and the largest latency exactly', (values) => {
    const sketch = new LatencySketch();
    for (const value of values) sketch.add(value);
    expect(sketch.quantile(1)).toBe(Math.max(...values));
    expect(sketch.quantile(1 / values.length)).toBe(Math.min(...values));
    expect(sketch.count).toBe(values.length);
  });

  it('has no quantile before the first latency', () => {
    expect(new LatencySketch().quantile(0.99)).toBeUndefined();
  });

  it("a canary window's p99 holds over a million calls, a slow 2% among them", () => {
    const sample = new Sample();
    for (let i = 0; i < 1_000_000; i++) sample.add(i % 50 === 0 ? 40 + (i % 7) : 2, false);
    expect(sample.calls).toBe(1_000_000);
    // The slowest 2% take 40-46 ms: the p99 is among them, within 1%.
    const p99 = sample.p99 as number;
    expect(p99).toBeGreaterThanOrEqual(40 * 0.99);
    expect(p99).toBeLessThanOrEqual(46 * 1.01);
  });
});
