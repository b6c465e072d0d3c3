/**
 * `/metrics`: Prometheus text format through prom-client, on a registry of its own (the
 * embedding process's global registry is left alone), after the per-call metrics, which
 * call-metrics.ts counts without prom-client (they are on every request's path).
 */
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { HotModule } from '../index.js';
import { CallMetrics } from './call-metrics.js';
import { versionLabel } from './versions.js';

/** Latency buckets in seconds: from a trivial call (~0.1 ms) to a heavy one. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The service's metrics; `render()` gives the text a scraper reads. */
export class ServeMetrics {
  readonly #registry = new Registry();
  /** Calls, failed calls and latency by function and version: at most the versions kept plus those recorded since the last prune. */
  readonly #calls = new CallMetrics(LATENCY_BUCKETS);
  readonly #upgrades: Counter<'outcome'>;
  readonly #rollbacks: Counter<'outcome'>;
  readonly #crashes: Counter<'version'>;
  /** The versions #crashes has a series for, so that forgetVersions can drop theirs too. */
  readonly #crashedVersions = new Set<string>();

  constructor(module: HotModule, options: { processMetrics?: boolean } = {}) {
    const registers = [this.#registry];
    this.#upgrades = new Counter({
      name: 'hotworker_upgrades_total',
      help: 'Upgrades asked for, by outcome: done (a new version serves), unchanged (same source), failed (the old version kept serving)',
      labelNames: ['outcome'],
      registers,
    });
    this.#rollbacks = new Counter({
      name: 'hotworker_rollbacks_total',
      help: 'Rollbacks asked for, by outcome: done or failed',
      labelNames: ['outcome'],
      registers,
    });
    this.#crashes = new Counter({
      name: 'hotworker_worker_crashes_total',
      help: 'Workers that died on their own (process.exit(), an uncaught exception, out of memory) while their version served, by version; each was replaced',
      labelNames: ['version'],
      registers,
    });
    new Counter({
      name: 'hotworker_calls_resent_total',
      help: 'Times a call was sent again to another worker of its version because the worker it was sent to died before beginning it (at most 3 per call)',
      registers,
      collect() {
        this.reset();
        this.inc(module.stats.resentCalls);
      },
    });
    new Gauge({
      name: 'hotworker_threads',
      help: 'Worker threads alive, by version (a draining version still has its own)',
      labelNames: ['version'],
      registers,
      collect() {
        this.reset();
        for (const alive of module.stats.alive) this.set({ version: versionLabel(alive.version) }, alive.threadIds.length);
      },
    });
    new Gauge({
      name: 'hotworker_standby_threads',
      help: 'Worker threads booted for the next upgrade, serving nothing',
      registers,
      collect() {
        this.set(module.stats.standby.threadIds.length);
      },
    });
    new Gauge({
      name: 'hotworker_in_flight_calls',
      help: 'Calls accepted and not yet settled, by version',
      labelNames: ['version'],
      registers,
      collect() {
        this.reset();
        for (const alive of module.stats.alive) this.set({ version: versionLabel(alive.version) }, alive.inFlight);
      },
    });
    new Gauge({
      name: 'hotworker_version_info',
      help: 'The version serving new calls (value 1), with its id and content hash',
      labelNames: ['version', 'id', 'hash'],
      registers,
      collect() {
        this.reset();
        const { version } = module;
        this.set({ version: versionLabel(version), id: String(version.id), hash: version.hash }, 1);
      },
    });
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.#registry, prefix: 'hotworker_' });
  }

  /** The `Content-Type` of `render()`'s text. */
  get contentType(): string {
    return this.#registry.contentType;
  }

  /**
   * Records one settled call. `failure` is set for a failed call: a hotworker error code, or
   * `thrown` for the function's own error (whose codes are not bounded, so never a label).
   */
  recordCall(fn: string, version: string, seconds: number, failure?: string): void {
    this.#calls.record(fn, version, seconds, failure);
  }

  /**
   * Removes the series of every version not in `kept` (the versions in history and those
   * still alive): without it each upgrade would add a version's worth of series for good.
   */
  forgetVersions(kept: ReadonlySet<string>): void {
    this.#calls.forget(kept);
    for (const version of this.#crashedVersions) {
      if (kept.has(version)) continue;
      this.#crashes.remove({ version });
      this.#crashedVersions.delete(version);
    }
  }

  /** Records a worker of `version` (its label) that died on its own and was replaced. */
  recordCrash(version: string): void {
    this.#crashedVersions.add(version);
    this.#crashes.inc({ version });
  }

  /** Records an upgrade attempt and how it ended. */
  recordUpgrade(outcome: 'done' | 'unchanged' | 'failed'): void {
    this.#upgrades.inc({ outcome });
  }

  /** Records a rollback attempt and how it ended. */
  recordRollback(outcome: 'done' | 'failed'): void {
    this.#rollbacks.inc({ outcome });
  }

  /** The Prometheus text exposition of every metric. */
  async render(): Promise<string> {
    // The per-call metrics were registered first when prom-client counted them: they stay first.
    return `${this.#calls.text()}${await this.#registry.metrics()}`;
  }
}
