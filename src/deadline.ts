/**
 * A signal that aborts when a parent signal aborts or a deadline passes, whichever comes
 * first, and that cleans up after itself.
 *
 * Not `AbortSignal.any([parent, AbortSignal.timeout(ms)])`: every composite signal stays
 * registered with a long-lived parent (a module's close signal, a server's shutdown signal)
 * until the parent aborts or is collected, so one per call or per upgrade grows memory without
 * bound (nodejs/node#55351, #54614). Here `dispose()` removes the listener and the timer.
 */
export interface Deadline {
  /** Aborts with the parent's reason, or with `'deadline'` when the time is up. */
  readonly signal: AbortSignal;
  /** True when the deadline, not the parent, aborted `signal`. */
  readonly expired: boolean;
  /** Removes the parent listener and the timer. Idempotent. */
  dispose(): void;
}

export function deadline(parent: AbortSignal | undefined, ms: number): Deadline {
  const controller = new AbortController();
  let expired = false;
  const onParentAbort = () => controller.abort(parent?.reason);
  const timer = Number.isFinite(ms)
    ? setTimeout(() => {
        expired = true;
        controller.abort('deadline');
      }, ms)
    : undefined;
  if (parent?.aborted) onParentAbort();
  else parent?.addEventListener('abort', onParentAbort, { once: true });
  return {
    signal: controller.signal,
    get expired() {
      return expired;
    },
    dispose() {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onParentAbort);
    },
  };
}
