/**
 * Which generation takes a new call. Plainly, the current one. During a canary step, a share
 * of new calls goes to the new version; during a canary or the watch after a plain upgrade,
 * every call's latency and outcome is told to the window it started in. `HotModule` asks the
 * router at each call and stays about the module's life.
 */
import { performance } from 'node:perf_hooks';
import { CanaryStep, type RolloutFigures, type Sample, type StepLimits, type StepVerdict, Watch, type Window } from './canary.js';
import type { Generation, VersionInfo } from './generation.js';

/** A rollout in progress, as `stats.rollout` shows it. */
export type RolloutStatus =
  | {
      readonly kind: 'canary';
      readonly from: VersionInfo;
      readonly to: VersionInfo;
      readonly steps: readonly number[];
      /** 1-based index of the step running. */
      readonly step: number;
      /** Percentage of new calls going to `to` now. */
      readonly share: number;
      /** The step's figures so far. */
      readonly figures: RolloutFigures;
    }
  | {
      readonly kind: 'watch';
      readonly from: VersionInfo;
      readonly to: VersionInfo;
      readonly figures: RolloutFigures;
    };

/** Told after each canary step. */
export type OnStep = (step: number, share: number, verdict: StepVerdict) => void;

export class Router {
  /** Set only during a canary step: takes `#share` percent of new calls. */
  #canary: Generation | undefined;
  #share = 0;
  /** New calls routed since the share was set; spreads the share evenly and deterministically. */
  #routed = 0;
  /** Observes calls while a canary step or a watch runs; undefined otherwise (the plain call path). */
  #window: Window | undefined;
  #status: (() => RolloutStatus) | undefined;

  /** The generation that takes the next new call, given the module's current one. */
  pick(current: Generation): Generation {
    const canary = this.#canary;
    if (canary === undefined) return current;
    const k = this.#routed++;
    return Math.floor(((k + 1) * this.#share) / 100) > Math.floor((k * this.#share) / 100) ? canary : current;
  }

  /** Returns `call` as is, or, while a window observes, a promise that reports it there when it settles. */
  observe(generation: Generation, call: Promise<unknown>): Promise<unknown> {
    const window = this.#window;
    if (window === undefined) return call;
    const started = performance.now();
    const version = generation.version.id;
    return call.then(
      (value) => {
        window.record(version, performance.now() - started, undefined);
        return value;
      },
      (error: unknown) => {
        window.record(version, performance.now() - started, error ?? new Error('undefined rejection'));
        throw error;
      },
    );
  }

  /** The rollout in progress, if any. */
  get status(): RolloutStatus | undefined {
    return this.#status?.();
  }

  /**
   * Walks the canary's steps: at each, `share` percent of new calls go to `next` until the step
   * is judged. Resolves with the first failed step's verdict, or the last passed one; rejects
   * with `signal.reason`. Every new call goes to `stable` again once it settles.
   */
  async canary(
    stable: Generation,
    next: Generation,
    steps: readonly number[],
    limits: StepLimits,
    signal: AbortSignal,
    onStep: OnStep,
  ): Promise<StepVerdict> {
    let earlierBaseline: Sample | undefined;
    let verdict: StepVerdict | undefined;
    try {
      for (const [index, share] of steps.entries()) {
        const step = new CanaryStep(next.version.id, limits, earlierBaseline, signal);
        this.#canary = next;
        this.#share = share;
        this.#routed = 0;
        this.#window = step;
        this.#status = () => ({
          kind: 'canary',
          from: stable.version,
          to: next.version,
          steps,
          step: index + 1,
          share,
          figures: step.figures,
        });
        verdict = await step.verdict;
        if (step.baseline.calls > 0) earlierBaseline = step.baseline;
        onStep(index + 1, share, verdict);
        if (!verdict.passed) return verdict;
      }
    } finally {
      this.#clear();
    }
    return verdict as StepVerdict;
  }

  /** Observes `next` (now current) for the watch after a plain upgrade; `end()` the returned watch to stop early. */
  watch(previous: Generation, next: Generation, limits: { errorRate: number; calls: number; withinMs: number }): Watch {
    const watch = new Watch(next.version.id, limits);
    this.#window = watch;
    this.#status = () => ({ kind: 'watch', from: previous.version, to: next.version, figures: watch.figures });
    void watch.verdict.then(() => {
      if (this.#window === watch) this.#clear();
    });
    return watch;
  }

  #clear(): void {
    this.#canary = undefined;
    this.#window = undefined;
    this.#status = undefined;
  }
}
