/**
 * The rollout a server shows: the canary running (or the last one, with how it ended) and the
 * watch after a plain upgrade, for `GET /_hot/status`, the log, and `hotworker upgrade --canary`.
 */
import type { CanaryEvent, FailReason, HotModule, RolloutFigures } from '../index.js';
import type { Logger } from './log.js';
import { versionLabel, versionName } from './versions.js';

/** One finished canary step, as status shows it. */
export interface CanaryStepJson {
  readonly step: number;
  readonly share: number;
  readonly passed: boolean;
  readonly reason?: FailReason;
  readonly figures: RolloutFigures;
}

/** `rollout` in the status document. */
export interface RolloutJson {
  /** `canary` while a canary runs (or the last one, once it ended); `watch` during the watch after a plain upgrade. */
  readonly kind: 'canary' | 'watch';
  /** True while it runs. */
  readonly running: boolean;
  readonly from: string;
  readonly to: string;
  readonly steps?: readonly number[];
  /** The step running now, with its figures so far. */
  readonly current?: { readonly step: number; readonly share: number; readonly figures: RolloutFigures };
  /** The canary's finished steps, in order. */
  readonly completed?: readonly CanaryStepJson[];
  /** The watch's figures so far. */
  readonly figures?: RolloutFigures;
}

export class RolloutLog {
  readonly #module: HotModule;
  /** The last canary's versions and finished steps; replaced when another canary starts. */
  #last: { from: string; to: string; steps: readonly number[]; completed: CanaryStepJson[] } | undefined;

  constructor(module: HotModule, logger: Logger) {
    this.#module = module;
    module.on('canary', (event) => this.#step(event, logger));
  }

  #step(event: CanaryEvent, logger: Logger): void {
    const to = versionLabel(event.to);
    if (this.#last?.to !== to || event.step === 1) this.#last = { from: versionLabel(event.from), to, steps: event.steps, completed: [] };
    const { step, share, passed, reason, figures } = event;
    this.#last.completed.push({ step, share, passed, ...(reason === undefined ? {} : { reason }), figures });
    const p99 = figures.p99Ms === undefined ? '' : `, p99 ${figures.p99Ms.toFixed(1)} ms`;
    const ratio = figures.latencyRatio === undefined ? '' : ` (${figures.latencyRatio.toFixed(2)}× old)`;
    const line = `canary ${versionName(event.to)} step ${step}/${event.steps.length} (${share}%) ${passed ? 'passed' : `failed on ${reason}`}: ${figures.errors} errors in ${figures.calls} calls${p99}${ratio}`;
    const fields = { to, step, share, passed, calls: figures.calls, errors: figures.errors };
    if (passed) logger.info('canary', line, fields);
    else logger.warn('canary', line, fields);
  }

  /** The rollout to show: the one running, else the last canary, else null. */
  json(): RolloutJson | null {
    const running = this.#module.rollout;
    if (running?.kind === 'watch') {
      return { kind: 'watch', running: true, from: versionLabel(running.from), to: versionLabel(running.to), figures: running.figures };
    }
    if (running?.kind === 'canary') {
      const to = versionLabel(running.to);
      return {
        kind: 'canary',
        running: true,
        from: versionLabel(running.from),
        to,
        steps: running.steps,
        current: { step: running.step, share: running.share, figures: running.figures },
        completed: this.#last?.to === to ? [...this.#last.completed] : [],
      };
    }
    if (this.#last === undefined) return null;
    return {
      kind: 'canary',
      running: false,
      from: this.#last.from,
      to: this.#last.to,
      steps: this.#last.steps,
      completed: [...this.#last.completed],
    };
  }
}
