/**
 * The document `GET /_hot/status` answers, which `hotworker status` reads.
 */
import type { ActivityEntry } from './activity.js';
import type { FailureSummary } from './failure.js';
import type { RolloutJson } from './rollout.js';
import type { VersionFigures } from './stats.js';
import type { versionJson } from './versions.js';

/** A version as status and admin answers show it. */
export type VersionJson = ReturnType<typeof versionJson>;

export interface ServeStatus {
  /** Absolute path of the module's entry. */
  readonly module: string;
  readonly pid: number;
  readonly uptimeSeconds: number;
  /** The version taking new calls. */
  readonly version: VersionJson;
  /** The versions kept for rollback, oldest first; the last is the current one. */
  readonly history: VersionJson[];
  /** Worker threads of the current version. */
  readonly threads: number;
  /** Worker threads booted for the next upgrade, serving nothing (0 with `--no-standby`). */
  readonly standbyThreads: number;
  /** Calls waiting for a thread of the current version. */
  readonly queued: number;
  /** Share of time the current version's threads were busy (0–1). */
  readonly utilization: number;
  /** Calls accepted and not yet settled, across every version alive. */
  readonly inFlight: number;
  /** Workers that died on their own while their version served (each replaced), since the service started. */
  readonly crashes: number;
  /** Times a call was sent again to another worker of its version because the worker it went to died before beginning it (at most 3 per call), since the service started. */
  readonly resentCalls: number;
  /** Each version with workers alive: the current one, and any still draining. */
  readonly alive: { readonly version: string; readonly inFlight: number; readonly threads: number }[];
  /** Calls, errors and latency per version, for the last versions that answered. */
  readonly versions: VersionFigures[];
  readonly upgrades: { readonly done: number; readonly unchanged: number; readonly failed: number };
  readonly rollbacks: { readonly done: number; readonly failed: number };
  /** The last failed upgrade or rollback, or null. */
  readonly lastFailure: (FailureSummary & { readonly at: string; readonly trigger: string }) | null;
  /** Milliseconds a call may run before it is stopped and answered 504, or null for no limit. */
  readonly callTimeoutMs: number | null;
  /** Milliseconds a running call whose client went away has to finish before its worker is ended (`--abandon-grace`). */
  readonly abandonGraceMs: number;
  /** The files watch mode watches, or null without `--watch`. */
  readonly watch: { readonly files: readonly string[] } | null;
  /** The canary running (with its finished steps and the current one's figures so far), the last canary, or the watch after a plain upgrade; null before any. */
  readonly rollout: RolloutJson | null;
  /** The last upgrades, rollbacks, failed attempts and crashes, oldest first (at most 10). */
  readonly recent: readonly ActivityEntry[];
}
