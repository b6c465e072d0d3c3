/**
 * The analysis of a rollout: what counts as an error, the figures of one window of calls
 * (a canary step, or the watch after a plain upgrade), and the verdict on them.
 */
import { HotError, type HotErrorCode } from './errors.js';
import { LatencySketch } from './latency-sketch.js';

/** Failures that are the host's, so always a mark against the version that produced them. */
const hostErrors: ReadonlySet<HotErrorCode> = new Set(['ERR_HOT_WORKER_EXIT', 'ERR_HOT_CALL_TIMEOUT', 'ERR_HOT_CLONE', 'ERR_HOT_LOAD']);

/**
 * True when a call's rejection counts against the version: a host error always; the module's
 * own thrown error only with `countUserErrors`; a caller's abort, a closed module or an unknown
 * name never.
 */
export function countsAsError(error: unknown, countUserErrors: boolean): boolean {
  if (error instanceof HotError) return hostErrors.has(error.code);
  if ((error as Error | undefined)?.name === 'AbortError') return false;
  return countUserErrors;
}

/** The calls one version served in one window, in fixed memory however many. */
export class Sample {
  calls = 0;
  errors = 0;
  readonly #latencies = new LatencySketch();

  add(ms: number, failed: boolean): void {
    this.calls++;
    if (failed) this.errors++;
    this.#latencies.add(ms);
  }

  get errorRate(): number {
    return this.calls === 0 ? 0 : this.errors / this.calls;
  }

  /** The 99th percentile latency in ms (nearest rank, within 1%), or undefined with no calls. */
  get p99(): number | undefined {
    return this.#latencies.quantile(0.99);
  }
}

/** The figures a canary step (or a watch) was judged on. */
export interface RolloutFigures {
  /** Calls the new version served in the window. */
  readonly calls: number;
  /** Of those, the ones that counted as errors. */
  readonly errors: number;
  /** `errors / calls` (0 with no calls). */
  readonly errorRate: number;
  /** The new version's p99 latency in ms over the window, when it served any call. */
  readonly p99Ms?: number;
  /** The old version's p99 latency in ms over the same window (or its last window with calls). */
  readonly baselineP99Ms?: number;
  /** `p99Ms / baselineP99Ms`, when both are known. */
  readonly latencyRatio?: number;
  /** Calls the old version served in the window the baseline came from. */
  readonly baselineCalls: number;
}

export function figures(canary: Sample, baseline: Sample | undefined): RolloutFigures {
  const p99Ms = canary.p99;
  const baselineP99Ms = baseline?.p99;
  const latencyRatio = p99Ms !== undefined && baselineP99Ms !== undefined && baselineP99Ms > 0 ? p99Ms / baselineP99Ms : undefined;
  return {
    calls: canary.calls,
    errors: canary.errors,
    errorRate: canary.errorRate,
    ...(p99Ms === undefined ? {} : { p99Ms }),
    ...(baselineP99Ms === undefined ? {} : { baselineP99Ms }),
    ...(latencyRatio === undefined ? {} : { latencyRatio }),
    baselineCalls: baseline?.calls ?? 0,
  };
}

/** Why a window failed: its error rate, or its latency. */
export type FailReason = 'errorRate' | 'latency' | 'idle';

/** The limit the figures broke, if any. */
export function breach(result: RolloutFigures, limits: { maxErrorRate: number; maxLatencyRatio: number }): FailReason | undefined {
  if (result.errorRate > limits.maxErrorRate) return 'errorRate';
  if (result.latencyRatio !== undefined && result.latencyRatio > limits.maxLatencyRatio) return 'latency';
  return undefined;
}

/** One line saying what failed, for `ERR_HOT_CANARY` and logs. */
export function describeFailure(
  reason: FailReason,
  result: RolloutFigures,
  limits: { maxErrorRate: number; maxLatencyRatio: number },
): string {
  const rate = `${result.errors} errors in ${result.calls} calls (${percent(result.errorRate)})`;
  if (reason === 'errorRate') return `error rate ${rate} is above maxErrorRate ${percent(limits.maxErrorRate)}`;
  if (reason === 'latency') {
    return `p99 ${ms(result.p99Ms)} is ${result.latencyRatio?.toFixed(2)}× the old version's ${ms(result.baselineP99Ms)}, above maxLatencyRatio ${limits.maxLatencyRatio}`;
  }
  return `only ${result.calls} calls within maxStepMs (onIdle: 'fail')`;
}

function percent(rate: number): string {
  return `${(rate * 100).toFixed(2)}%`;
}

function ms(value: number | undefined): string {
  return value === undefined ? '?' : `${value.toFixed(1)} ms`;
}

/** Told of every call that started while it observed: which version ran it, how long, how it failed. */
export interface Window {
  record(version: number, ms: number, error: unknown): void;
}

/** How a canary step ended. */
export interface StepVerdict {
  readonly passed: boolean;
  /** Why it failed; absent when it passed. */
  readonly reason?: FailReason;
  readonly figures: RolloutFigures;
}

/** Limits a step is judged by (a resolved `canary` option). */
export interface StepLimits {
  readonly minCalls: number;
  readonly maxErrorRate: number;
  readonly maxLatencyRatio: number;
  readonly maxStepMs: number;
  readonly onIdle: 'pass' | 'fail';
  readonly countUserErrors: boolean;
}

/**
 * One canary step: the new version's calls against the old version's over the same window.
 * `verdict` settles once, when the step passes or fails, or rejects with `signal.reason`.
 */
export class CanaryStep implements Window {
  readonly canary = new Sample();
  readonly baseline = new Sample();
  readonly verdict: Promise<StepVerdict>;
  readonly #canaryVersion: number;
  readonly #limits: StepLimits;
  /** The old version's last window with calls, for a step where it serves none (100%). */
  readonly #earlierBaseline: Sample | undefined;
  #decide: ((verdict: StepVerdict) => void) | undefined;

  constructor(canaryVersion: number, limits: StepLimits, earlierBaseline: Sample | undefined, signal: AbortSignal) {
    this.#canaryVersion = canaryVersion;
    this.#limits = limits;
    this.#earlierBaseline = earlierBaseline;
    this.verdict = new Promise<StepVerdict>((resolve, reject) => {
      const timer = Number.isFinite(limits.maxStepMs) ? setTimeout(() => this.#idle(), limits.maxStepMs) : undefined;
      const onAbort = () => finish(() => reject(signal.reason));
      const finish = (settle: () => void) => {
        this.#decide = undefined;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        settle();
      };
      this.#decide = (verdict) => finish(() => resolve(verdict));
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** The figures so far. */
  get figures(): RolloutFigures {
    return figures(this.canary, this.baseline.calls > 0 ? this.baseline : this.#earlierBaseline);
  }

  record(version: number, ms: number, error: unknown): void {
    if (this.#decide === undefined) return;
    const failed = error !== undefined && countsAsError(error, this.#limits.countUserErrors);
    if (version !== this.#canaryVersion) {
      this.baseline.add(ms, failed);
      return;
    }
    this.canary.add(ms, failed);
    const { minCalls, maxErrorRate } = this.#limits;
    // Past this many errors the rate at minCalls is over the limit whatever comes next.
    if (this.canary.errors > maxErrorRate * minCalls) this.#decide({ passed: false, reason: 'errorRate', figures: this.figures });
    else if (this.canary.calls >= minCalls) this.#judge(undefined);
  }

  #idle(): void {
    this.#judge(this.#limits.onIdle === 'pass' ? undefined : 'idle');
  }

  #judge(otherwise: FailReason | undefined): void {
    const result = this.figures;
    const reason = breach(result, this.#limits) ?? otherwise;
    this.#decide?.(reason === undefined ? { passed: true, figures: result } : { passed: false, reason, figures: result });
  }
}

/** How the watch after a plain upgrade ended. */
export interface WatchVerdict {
  readonly rollback: boolean;
  /** Who decided: the error rate (`'auto'`), or `rollback()` during the watch (`'manual'`). */
  readonly reason?: 'auto' | 'manual';
  readonly figures: RolloutFigures;
}

/**
 * The watch after a plain upgrade: the new version's first `calls` calls, within `withinMs`.
 * `verdict` settles once and never rejects.
 */
export class Watch implements Window {
  readonly sample = new Sample();
  readonly verdict: Promise<WatchVerdict>;
  readonly #version: number;
  readonly #limits: { errorRate: number; calls: number; withinMs: number };
  #decide: ((verdict: WatchVerdict) => void) | undefined;

  constructor(version: number, limits: { errorRate: number; calls: number; withinMs: number }) {
    this.#version = version;
    this.#limits = limits;
    this.verdict = new Promise<WatchVerdict>((resolve) => {
      // `Infinity`: the watch lasts until `calls` calls, a rollback or `end()`.
      const timer = Number.isFinite(limits.withinMs) ? setTimeout(() => this.#judge(), limits.withinMs) : undefined;
      this.#decide = (verdict) => {
        this.#decide = undefined;
        clearTimeout(timer);
        resolve(verdict);
      };
    });
  }

  get figures(): RolloutFigures {
    return figures(this.sample, undefined);
  }

  record(version: number, ms: number, error: unknown): void {
    if (version !== this.#version || this.#decide === undefined) return;
    this.sample.add(ms, error !== undefined && countsAsError(error, false));
    if (this.sample.errors > this.#limits.errorRate * this.#limits.calls)
      this.#decide({ rollback: true, reason: 'auto', figures: this.figures });
    else if (this.sample.calls >= this.#limits.calls) this.#decide({ rollback: false, figures: this.figures });
  }

  /** Ends the watch now: rolled back on request, or judged on the calls so far. */
  end(rollback: boolean): void {
    if (rollback) this.#decide?.({ rollback: true, reason: 'manual', figures: this.figures });
    else this.#decide?.({ rollback: false, figures: this.figures });
  }

  #judge(): void {
    const crossed = this.sample.errorRate > this.#limits.errorRate;
    this.#decide?.(crossed ? { rollback: true, reason: 'auto', figures: this.figures } : { rollback: false, figures: this.figures });
  }
}
