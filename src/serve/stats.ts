/**
 * Per-version call figures for `/_hot/status`: calls, errors, and latency percentiles over
 * a window of the most recent calls.
 */

/** Latency samples kept per version: enough for a stable p99, small enough to sort on demand. */
const WINDOW = 2048;
/** Versions whose figures are kept; older ones are dropped, oldest first. */
const VERSIONS_KEPT = 20;

/** Figures of one version, as `/_hot/status` shows them. */
export interface VersionFigures {
  /** The version label, `<id>-<hash8>`. */
  readonly version: string;
  /** Calls answered (any outcome). */
  readonly calls: number;
  /** Calls that failed (the function threw, timed out, its worker died). */
  readonly errors: number;
  /** Latency in milliseconds over the last calls (up to 2048): p50, p90, p99 and max. */
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number } | null;
}

/** One version's figures over one interval (a second, for the status page's charts). */
export interface IntervalFigures {
  /** The version label, `<id>-<hash8>`. */
  readonly version: string;
  /** Calls answered in the interval. */
  readonly calls: number;
  /** Calls that failed in the interval. */
  readonly errors: number;
  /** Latency percentiles over the interval's calls (the last 2048 when there were more), or null with no calls. */
  readonly p50: number | null;
  readonly p99: number | null;
}

class VersionStats {
  calls = 0;
  errors = 0;
  /** A ring of the last WINDOW latencies; `next` is where the next one goes. */
  readonly #samples = new Float64Array(WINDOW);
  #next = 0;
  /** Where the last interval ended: figures since then make the next interval. */
  #mark = { calls: 0, errors: 0, next: 0 };

  record(ms: number, failed: boolean): void {
    this.calls++;
    if (failed) this.errors++;
    this.#samples[this.#next % WINDOW] = ms;
    this.#next++;
  }

  /** Figures since the previous call (or since the start), read from the ring: nothing is added to the call path. */
  interval(version: string): IntervalFigures {
    const count = Math.min(this.#next - this.#mark.next, WINDOW);
    let p50: number | null = null;
    let p99: number | null = null;
    if (count > 0) {
      const recent = new Float64Array(count);
      for (let i = 0; i < count; i++) recent[i] = this.#samples[(this.#next - count + i) % WINDOW] as number;
      recent.sort();
      p50 = round(recent[Math.ceil(0.5 * count) - 1] as number);
      p99 = round(recent[Math.ceil(0.99 * count) - 1] as number);
    }
    const figures = { version, calls: this.calls - this.#mark.calls, errors: this.errors - this.#mark.errors, p50, p99 };
    this.#mark = { calls: this.calls, errors: this.errors, next: this.#next };
    return figures;
  }

  latency(): VersionFigures['latencyMs'] {
    const count = Math.min(this.#next, WINDOW);
    if (count === 0) return null;
    const sorted = this.#samples.slice(0, count).sort();
    const at = (q: number) => round(sorted[Math.min(count - 1, Math.ceil(q * count) - 1)] as number);
    return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: round(sorted[count - 1] as number) };
  }
}

/** Call figures by version label. */
export class CallStats {
  /** In the order versions first answered a call: the first key is the one dropped next. */
  readonly #versions = new Map<string, VersionStats>();

  /** Records one settled call of `version` that took `ms` milliseconds. */
  record(version: string, ms: number, failed: boolean): void {
    let stats = this.#versions.get(version);
    if (stats === undefined) {
      stats = new VersionStats();
      this.#versions.set(version, stats);
      if (this.#versions.size > VERSIONS_KEPT) this.#versions.delete(this.#versions.keys().next().value as string);
    }
    stats.record(ms, failed);
  }

  /**
   * Each version's figures since the previous call of `interval()`, oldest version first:
   * called once a second, it gives calls/s, errors/s and that second's p50/p99.
   */
  interval(): IntervalFigures[] {
    return [...this.#versions].map(([version, stats]) => stats.interval(version));
  }

  /** Figures of every version kept, oldest first. */
  figures(): VersionFigures[] {
    return [...this.#versions].map(([version, stats]) => ({
      version,
      calls: stats.calls,
      errors: stats.errors,
      latencyMs: stats.latency(),
    }));
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
