/**
 * Quantiles of any number of latencies in fixed memory. A canary step or a watch may observe
 * millions of calls (a small share, a large `minCalls`, a busy service), and its figures are
 * read every second by the status page: keeping every latency would grow without bound and
 * sort it all at each read. Latencies go into buckets whose bounds grow by 2%, so a quantile
 * read from them is within 1% of the exact one; the smallest and largest are kept exactly.
 */

/** Each bucket's upper bound is this times its lower one. */
const GAMMA = 1.02;
const LOG_GAMMA = Math.log(GAMMA);
/** Latencies at or below this (1 µs) share the first bucket. */
const MIN_MS = 0.001;
/** Latencies above this (about 2.8 hours) share the last bucket. */
const MAX_MS = 1e7;
const BUCKETS = Math.ceil(Math.log(MAX_MS / MIN_MS) / LOG_GAMMA) + 1;

export class LatencySketch {
  /** Latencies added. */
  count = 0;
  #min = Number.POSITIVE_INFINITY;
  #max = Number.NEGATIVE_INFINITY;
  /** Calls per bucket: bucket i holds (MIN_MS·γ^(i−1), MIN_MS·γ^i]. Allocated at the first add (9 KiB). */
  #counts: Float64Array | undefined;

  /** Adds one latency in milliseconds (a negative or NaN one counts as 0). */
  add(ms: number): void {
    // biome-ignore lint/complexity/useMathMinMax: Math.max(NaN, 0) is NaN, which no bucket takes
    const value = ms > 0 ? ms : 0;
    this.#counts ??= new Float64Array(BUCKETS);
    const bucket = bucketOf(value);
    this.#counts[bucket] = (this.#counts[bucket] as number) + 1;
    this.count++;
    if (value < this.#min) this.#min = value;
    if (value > this.#max) this.#max = value;
  }

  /**
   * The `q` quantile (0 < q ≤ 1) by nearest rank, within 1% of the exact value; the smallest
   * and the largest latency exactly. `undefined` before any latency was added.
   */
  quantile(q: number): number | undefined {
    const counts = this.#counts;
    if (counts === undefined) return undefined;
    const rank = Math.max(1, Math.ceil(q * this.count));
    if (rank >= this.count) return this.#max;
    if (rank === 1) return this.#min;
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += counts[i] as number;
      if (seen >= rank) return Math.min(this.#max, Math.max(this.#min, representative(i)));
    }
    return this.#max;
  }
}

function bucketOf(ms: number): number {
  if (ms <= MIN_MS) return 0;
  return Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / MIN_MS) / LOG_GAMMA));
}

/** The value a bucket stands for: within (γ−1)/(γ+1) < 1% of any latency in it. */
function representative(bucket: number): number {
  if (bucket === 0) return MIN_MS;
  const upper = MIN_MS * GAMMA ** bucket;
  return (2 * upper) / (GAMMA + 1);
}
