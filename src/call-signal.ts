/**
 * A call's signal at the cost of a plain object.
 *
 * piscina and a call read only a few things of a signal: `aborted`, `reason`, and one 'abort'
 * listener added and removed per task. Node 20 takes microseconds to make an `AbortSignal`
 * and to add and remove a listener on one (an `EventTarget`), a measurable share of a trivial
 * call: `hotworker serve` gives every call one of these instead (a client that goes away
 * aborts its call), and a call with a timeout hands piscina a {@link CallLimit}, built on it.
 */

/** What a call reads of the signal it is given: an `AbortSignal`, or a {@link CallSignal}. */
export interface SignalLike {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/**
 * A signal with room for one 'abort' listener, which hears the abort once. One call's signal:
 * whoever runs the call (piscina, or a {@link CallLimit} that wraps it) listens, and stops
 * listening when the call settles.
 */
export class CallSignal implements SignalLike {
  /** True once aborted. */
  aborted = false;
  /** What {@link abort} was given; undefined until then. */
  reason: unknown = undefined;
  #listener: (() => void) | undefined;

  /** Sets the one listener (a later one replaces it). `type` is always 'abort'. */
  addEventListener(_type: 'abort', listener: () => void): void {
    this.#listener = listener;
  }

  /** Removes `listener` if it is the one set. */
  removeEventListener(_type: 'abort', listener: () => void): void {
    if (this.#listener === listener) this.#listener = undefined;
  }

  /** True while a listener is set (for tests). */
  get listened(): boolean {
    return this.#listener !== undefined;
  }

  /** Aborts with `reason` and calls the listener, once; later calls do nothing. */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listener = this.#listener;
    this.#listener = undefined;
    listener?.();
  }
}
