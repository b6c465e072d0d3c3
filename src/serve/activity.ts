/**
 * What happened to the served module lately: upgrades, rollbacks, canary steps, failed attempts
 * and worker crashes, each with its figures. `/_hot/status` shows the last few; the status page gets each
 * one live, as it happens.
 */
import { EventEmitter } from 'node:events';
import type { CanaryEvent, CrashEvent, RollbackEvent, UpgradeEvent } from '../index.js';
import type { FailureSummary } from './failure.js';
import { versionLabel } from './versions.js';

/** One thing that happened, as JSON. `at` is an ISO date. */
export type ActivityEntry =
  | {
      readonly kind: 'upgrade' | 'rollback';
      readonly at: string;
      /** What asked for it: `watch`, `admin`, `SIGHUP`, `api`. */
      readonly trigger: string;
      readonly from: string;
      readonly to: string;
      /** Milliseconds from the request to the shift of traffic (full precision). */
      readonly switchMs: number;
      readonly drainMs: number;
      readonly drained: number;
      readonly killed: number;
      /** Rollbacks only: `manual` (asked for) or `auto` (the watch after an upgrade crossed its error rate). */
      readonly reason?: 'manual' | 'auto';
    }
  | ({
      readonly kind: 'upgrade-failed' | 'rollback-failed';
      readonly at: string;
      readonly trigger: string;
      /** The version that kept serving. */
      readonly serving: string;
    } & FailureSummary)
  | ({
      readonly kind: 'canary';
      readonly at: string;
      readonly from: string;
      readonly to: string;
    } & Omit<CanaryEvent, 'from' | 'to'>)
  | {
      readonly kind: 'crash';
      readonly at: string;
      /** The version whose worker died (and was replaced). */
      readonly version: string;
      readonly code: string;
      readonly message: string;
    };

/** Entries kept for `/_hot/status` and a page that connects late. */
const KEPT = 50;

/** The recent activity of one served module; emits `entry` for each new one. */
export class Activity extends EventEmitter<{ entry: [entry: ActivityEntry] }> {
  /** Oldest first, at most {@link KEPT}. */
  readonly #entries: ActivityEntry[] = [];

  /** The entries kept, newest last. */
  get entries(): readonly ActivityEntry[] {
    return this.#entries;
  }

  transition(kind: 'upgrade' | 'rollback', trigger: string, event: UpgradeEvent | RollbackEvent): void {
    this.#add({
      kind,
      at: new Date().toISOString(),
      trigger,
      from: versionLabel(event.from),
      to: versionLabel(event.to),
      switchMs: event.switchMs,
      drainMs: event.drainMs,
      drained: event.drained,
      killed: event.killed,
      ...('reason' in event ? { reason: event.reason } : {}),
    });
  }

  canary(event: CanaryEvent): void {
    const { from, to, ...step } = event;
    this.#add({ kind: 'canary', at: new Date().toISOString(), from: versionLabel(from), to: versionLabel(to), ...step });
  }

  failure(kind: 'upgrade' | 'rollback', trigger: string, serving: string, summary: FailureSummary): void {
    this.#add({ kind: `${kind}-failed`, at: new Date().toISOString(), trigger, serving, ...summary });
  }

  crash(event: CrashEvent): void {
    this.#add({
      kind: 'crash',
      at: new Date().toISOString(),
      version: versionLabel(event.version),
      code: event.error.code,
      message: event.error.message,
    });
  }

  #add(entry: ActivityEntry): void {
    this.#entries.push(entry);
    if (this.#entries.length > KEPT) this.#entries.shift();
    this.emit('entry', entry);
  }
}
