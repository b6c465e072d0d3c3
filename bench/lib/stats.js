/**
 * Order statistics for the bench suite: every figure is reported as a median with its min and
 * max over several runs, and every comparison as a ratio of two figures taken in the same run.
 */

/** Copies and sorts numbers ascending (never sorts the caller's array in place). */
export function sorted(values) {
  return Float64Array.from(values).sort();
}

/**
 * The p-th percentile (0–100) of ascending `values`, by linear interpolation between the two
 * nearest ranks (numpy's default), so p50 of an even count is the mean of the middle two.
 */
export function percentileOfSorted(values, p) {
  if (values.length === 0) return Number.NaN;
  if (p <= 0) return values[0];
  if (p >= 100) return values[values.length - 1];
  const rank = (p / 100) * (values.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return values[low] + (values[high] - values[low]) * (rank - low);
}

/** The p-th percentile (0–100) of `values`, in any order. */
export function percentile(values, p) {
  return percentileOfSorted(sorted(values), p);
}

export function median(values) {
  return percentile(values, 50);
}

/** `{ median, min, max, n }` of `values`: the shape of every reported figure. */
export function summarize(values) {
  const ordered = sorted(values);
  return {
    median: percentileOfSorted(ordered, 50),
    min: ordered.length > 0 ? ordered[0] : Number.NaN,
    max: ordered.length > 0 ? ordered[ordered.length - 1] : Number.NaN,
    n: ordered.length,
  };
}

/**
 * Ratios `numerators[i] / denominators[i]` of figures taken in the same run `i`, summarized.
 * Pairing by run keeps the noise of one moment (another process on the CPU) out of the ratio.
 */
export function pairedRatio(numerators, denominators) {
  if (numerators.length !== denominators.length) {
    throw new RangeError(`pairedRatio: ${numerators.length} numerators for ${denominators.length} denominators`);
  }
  return summarize(numerators.map((value, i) => value / denominators[i]));
}

/** The percentiles latency tables print, from one list of samples. */
export function latencyPercentiles(values) {
  const ordered = sorted(values);
  return {
    p50: percentileOfSorted(ordered, 50),
    p95: percentileOfSorted(ordered, 95),
    p99: percentileOfSorted(ordered, 99),
    max: ordered.length > 0 ? ordered[ordered.length - 1] : Number.NaN,
    n: ordered.length,
  };
}
