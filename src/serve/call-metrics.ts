/**
 * The per-call metrics of `/metrics`: calls, failed calls and latency by function and version,
 * counted on the request path at the cost of a map lookup, and written as Prometheus text only
 * when scraped.
 *
 * Why not prom-client's Counter and Histogram, as for the other metrics: each `inc()` and
 * `observe()` validates and hashes its label object (sorting the names, joining the values),
 * about 3 µs per call for the three series a call touches, measured under `hotworker serve`
 * load (bench scenario 11). The text written here is the one prom-client writes for the same
 * series (same order, escaping and number format): test/serve-call-metrics.test.ts compares the two.
 */

/** What one `fn` on one version has recorded. */
interface CallSeries {
  readonly fn: string;
  readonly version: string;
  /** `fn="…",version="…"`, escaped once. */
  readonly labels: string;
  calls: number;
  seconds: number;
  /** Observations per bucket (not cumulative), one per bound; above the last bound only in `calls`. */
  readonly buckets: number[];
}

/** Failures of one `fn` on one version, of one kind. */
interface FailureSeries {
  readonly version: string;
  /** `fn="…",version="…",kind="…"`, escaped once. */
  readonly labels: string;
  count: number;
}

/** The three per-call metrics, by function and version. */
export class CallMetrics {
  readonly #bounds: readonly number[];
  /** By `version\0fn`, in the order first recorded (prom-client's order too). */
  readonly #series = new Map<string, CallSeries>();
  /** By `version\0fn\0kind`, in the order first recorded. */
  readonly #failures = new Map<string, FailureSeries>();
  /** The last series recorded: under load, most calls are of the same function and version. */
  #last: CallSeries | undefined;

  /** @param bounds the latency buckets' upper bounds in seconds, ascending */
  constructor(bounds: readonly number[]) {
    this.#bounds = bounds;
  }

  /** Records one settled call; `failure` (an error code, or `thrown`) for a failed one. */
  record(fn: string, version: string, seconds: number, failure?: string): void {
    let series = this.#last;
    if (series === undefined || series.fn !== fn || series.version !== version) {
      const key = `${version}\0${fn}`;
      series = this.#series.get(key);
      if (series === undefined) {
        series = { fn, version, labels: labelText({ fn, version }), calls: 0, seconds: 0, buckets: this.#bounds.map(() => 0) };
        this.#series.set(key, series);
      }
      this.#last = series;
    }
    series.calls++;
    series.seconds += seconds;
    const bucket = bucketOf(this.#bounds, seconds);
    if (bucket >= 0) (series.buckets[bucket] as number)++;
    if (failure === undefined) return;
    const key = `${version}\0${fn}\0${failure}`;
    let failed = this.#failures.get(key);
    if (failed === undefined) {
      failed = { version, labels: labelText({ fn, version, kind: failure }), count: 0 };
      this.#failures.set(key, failed);
    }
    failed.count++;
  }

  /** Drops the series of every version not in `kept`. */
  forget(kept: ReadonlySet<string>): void {
    for (const [key, series] of this.#series) if (!kept.has(series.version)) this.#series.delete(key);
    for (const [key, failed] of this.#failures) if (!kept.has(failed.version)) this.#failures.delete(key);
    if (this.#last !== undefined && !kept.has(this.#last.version)) this.#last = undefined;
  }

  /**
   * The three metrics as Prometheus text, each block followed by a blank line (the separator
   * prom-client's registry puts between metrics).
   */
  text(): string {
    const calls = [];
    const failures = [];
    const latency = [];
    for (const series of this.#series.values()) {
      calls.push(`hotworker_calls_total{${series.labels}} ${series.calls}`);
      let cumulative = 0;
      for (const [i, bound] of this.#bounds.entries()) {
        cumulative += series.buckets[i] as number;
        latency.push(`hotworker_call_duration_seconds_bucket{le="${bound}",${series.labels}} ${cumulative}`);
      }
      latency.push(
        `hotworker_call_duration_seconds_bucket{le="+Inf",${series.labels}} ${series.calls}`,
        `hotworker_call_duration_seconds_sum{${series.labels}} ${series.seconds}`,
        `hotworker_call_duration_seconds_count{${series.labels}} ${series.calls}`,
      );
    }
    for (const failed of this.#failures.values()) failures.push(`hotworker_call_errors_total{${failed.labels}} ${failed.count}`);
    return [block(CALLS, 'counter', calls), block(FAILURES, 'counter', failures), block(LATENCY, 'histogram', latency)].join('');
  }
}

/** The names and help texts, as /metrics has always shown them. */
export const CALLS = { name: 'hotworker_calls_total', help: 'Calls answered, by function and version' };
export const FAILURES = {
  name: 'hotworker_call_errors_total',
  help: 'Calls that failed, by function, version and kind: a hotworker error code (ERR_HOT_CALL_TIMEOUT, …) or `thrown` when the function threw',
};
export const LATENCY = {
  name: 'hotworker_call_duration_seconds',
  help: 'Call latency from dispatch to result, by function and version',
};

function block(metric: { name: string; help: string }, type: string, lines: string[]): string {
  return `${[`# HELP ${metric.name} ${escapeText(metric.help)}`, `# TYPE ${metric.name} ${type}`, ...lines].join('\n')}\n\n`;
}

/** The index of the first bucket whose bound is ≥ `value`; -1 above every bound. */
function bucketOf(bounds: readonly number[], value: number): number {
  for (let i = 0; i < bounds.length; i++) if (value <= (bounds[i] as number)) return i;
  return -1;
}

/** `name="value",…` with Prometheus's escaping of label values. */
function labelText(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([name, value]) => `${name}="${escapeText(value).replaceAll('"', '\\"')}"`)
    .join(',');
}

function escapeText(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('\n', '\\n');
}
