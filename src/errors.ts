/**
 * Every failure hotworker reports is a {@link HotError} with one of these stable codes.
 * Match on `error.code`, never on the message text.
 */
import type { RolloutFigures } from './canary.js';

export const HotErrorCodes = {
  /** The entry could not be bundled: syntax error, unresolved import. The message names file:line:column. */
  ERR_HOT_BUILD: 'ERR_HOT_BUILD',
  /** The new version lacks exports the current one has; pass `allowBreaking: true` to upgrade anyway. */
  ERR_HOT_INCOMPATIBLE: 'ERR_HOT_INCOMPATIBLE',
  /** The new version threw, exited or did not finish loading within `loadTimeout`. */
  ERR_HOT_LOAD: 'ERR_HOT_LOAD',
  /** The `verify(api)` smoke check rejected against the new version. */
  ERR_HOT_VERIFY: 'ERR_HOT_VERIFY',
  /**
   * The called name is not an exported function of the version that would run it; or a
   * module exports no function at all (refused at start and at upgrade, naming what it exports).
   */
  ERR_HOT_NO_EXPORT: 'ERR_HOT_NO_EXPORT',
  /** The call ran past its timeout; its worker was terminated and replaced. */
  ERR_HOT_CALL_TIMEOUT: 'ERR_HOT_CALL_TIMEOUT',
  /** The worker running the call died (exit, uncaught exception, out of memory, or killed after `drainTimeout`). */
  ERR_HOT_WORKER_EXIT: 'ERR_HOT_WORKER_EXIT',
  /** An argument or result cannot cross a thread boundary (structured clone). */
  ERR_HOT_CLONE: 'ERR_HOT_CLONE',
  /** The module or host is closed (or closing); it takes no more calls or upgrades. */
  ERR_HOT_CLOSED: 'ERR_HOT_CLOSED',
  /** `rollback()` was called with no earlier version kept. */
  ERR_HOT_NO_PREVIOUS: 'ERR_HOT_NO_PREVIOUS',
  /** A fleet rollout or rollback was asked for while another one runs on the same queue. */
  ERR_HOT_ROLLOUT_BUSY: 'ERR_HOT_ROLLOUT_BUSY',
  /** A fleet rollout stopped (a node could not load the version, or the canary failed too many jobs) and the fleet was moved back. */
  ERR_HOT_ROLLOUT_FAILED: 'ERR_HOT_ROLLOUT_FAILED',
  /** `hotExport()` or `hotImport()` threw or did not settle within `loadTimeout`; the old version keeps serving. */
  ERR_HOT_STATE: 'ERR_HOT_STATE',
  /** `hotDispose()` threw or outlived `disposeTimeout` in an ending version. Reported in the event as `disposeError`, never thrown. */
  ERR_HOT_DISPOSE: 'ERR_HOT_DISPOSE',
  /** A canary step failed: the new version's errors or latency were over the limits (`figures`); every new call went back to the old version. */
  ERR_HOT_CANARY: 'ERR_HOT_CANARY',
  /** An option has the wrong type or value, or is unknown. */
  ERR_HOT_INVALID_OPTION: 'ERR_HOT_INVALID_OPTION',
  /**
   * A callback passed to a call was invoked in the worker after that call settled (raised in
   * the worker, where the late invocation rejects with it).
   */
  ERR_HOT_CALLBACK_SETTLED: 'ERR_HOT_CALLBACK_SETTLED',
  /** A generator function was called with `call()`/`api` (read it with `stream()`), or a plain function with `stream()`. */
  ERR_HOT_CALL_KIND: 'ERR_HOT_CALL_KIND',
  /** A fleet job a `remote()` call waited for was removed from the queue before it finished (`job.remove()`, or deduplication). */
  ERR_HOT_JOB_REMOVED: 'ERR_HOT_JOB_REMOVED',
  /** The call was refused at once: `maxQueue` calls already wait for a thread of that version. Retry later. */
  ERR_HOT_QUEUE_FULL: 'ERR_HOT_QUEUE_FULL',
} as const;

/** The union of every {@link HotError} code. */
export type HotErrorCode = keyof typeof HotErrorCodes;

// A registry symbol, so that `instanceof HotError` holds even when two copies of
// hotworker are loaded (e.g. a library and the app depend on different versions).
const kHotError = Symbol.for('hotworker.HotError');

/** Extra context a {@link HotError} can carry. */
export interface HotErrorDetails {
  /** The error that led to this one (the module's own error, the worker's exit reason, …). */
  cause?: unknown;
  /** The exported function the failing call targeted. */
  fn?: string;
  /** The version id the failure concerns. */
  version?: number;
  /** Export names missing from the new version (`ERR_HOT_INCOMPATIBLE`). */
  missing?: string[];
  /** Path to the value that failed to clone (`ERR_HOT_CLONE`), e.g. `args[0].callback`. */
  path?: string;
  /** The worker's exit code, when it exited (`ERR_HOT_WORKER_EXIT`, `ERR_HOT_LOAD`). */
  exitCode?: number;
  /** The figures a canary step failed on (`ERR_HOT_CANARY`): calls, errors, errorRate, p99Ms, baselineP99Ms, latencyRatio. */
  figures?: RolloutFigures;
  /**
   * The option the message's advice names, written in it as `` `loadTimeout` `` (or
   * `` `allowBreaking: true` `` for a switch). A front end that sets options under other
   * names (the CLI's `--load-timeout`) rewords the advice from this, not from the text.
   */
  option?: string;
}

/**
 * The one error class hotworker throws. `code` is stable across releases;
 * `cause` keeps the underlying error (the module's own, or the worker's).
 */
export class HotError extends Error {
  override name = 'HotError';
  readonly code: HotErrorCode;
  // `declare`: optional details are own properties only when set, so errors print cleanly.
  declare readonly fn?: string;
  declare readonly version?: number;
  declare readonly missing?: string[];
  declare readonly path?: string;
  declare readonly exitCode?: number;
  declare readonly figures?: RolloutFigures;
  declare readonly option?: string;

  constructor(code: HotErrorCode, message: string, details: HotErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    if (details.fn !== undefined) this.fn = details.fn;
    if (details.version !== undefined) this.version = details.version;
    if (details.missing !== undefined) this.missing = details.missing;
    if (details.path !== undefined) this.path = details.path;
    if (details.exitCode !== undefined) this.exitCode = details.exitCode;
    if (details.figures !== undefined) this.figures = details.figures;
    if (details.option !== undefined) this.option = details.option;
  }

  /** True for any hotworker error, from any copy of the package. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && kHotError in value;
  }

  /** True when `value` is a {@link HotError}, optionally with the given code. */
  static is(value: unknown, code?: HotErrorCode): value is HotError {
    return value instanceof HotError && (code === undefined || value.code === code);
  }
}

Object.defineProperty(HotError.prototype, kHotError, { value: true });
