/**
 * The phases of an upgrade as they begin, for progress displays (`hotworker upgrade` on a
 * terminal): told through `upgrade({ onPhase })`.
 */

/** A phase of an upgrade, in order: `verify` only with a `verify` option; a source that did not change stops after `build`. */
export type UpgradePhase = 'build' | 'load' | 'verify' | 'shift' | 'drain';

/** One phase beginning. */
export interface UpgradeProgress {
  readonly phase: UpgradePhase;
  /** Milliseconds since `upgrade()` began (after any wait behind an earlier upgrade). */
  readonly ms: number;
  /** The new version's id, from `load` on. */
  readonly version?: number;
  /** Workers the new version starts and proves (`load`). */
  readonly threads?: number;
  /** Calls the old version still has to finish (`drain`). */
  readonly inFlight?: number;
}

/** Calls `listener` for each phase; a listener that throws never fails the upgrade. */
export function phaseReporter(
  listener: ((progress: UpgradeProgress) => void) | undefined,
  started: number,
  now: () => number,
): (phase: UpgradePhase, details?: Omit<UpgradeProgress, 'phase' | 'ms'>) => void {
  if (listener === undefined) return () => {};
  return (phase, details) => {
    try {
      listener({ phase, ms: now() - started, ...details });
    } catch {
      // A progress display is not worth an upgrade.
    }
  };
}
