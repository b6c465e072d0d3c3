/**
 * A call's signal at the cost of a plain object.
 *
 * piscina and a call read only a few things of a signal: `aborted`, `reason`, and one 'abort'
 * listener added and removed per task. Node 20 takes microseconds to make an `AbortSignal`
 * and to add and remove a listener on one (an `EventTarget`), a measurable share of a trivial
 * call: `hotworker serve` gives every call one of these instead (a client that goes away
 * aborts its call), and a call with a timeout hands piscina a {@link CallLimit}, built on it.
 */

/** Tells whether the task run with a given signal is in a worker yet (src/task-placement.ts). */
export interface PlacementProbe {
  /** True once in a worker, false while queued or after it settled, `undefined` when it cannot tell. */
  isPlaced(signal: object): boolean | undefined;
}

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
  /** Where the call's task went, and the signal piscina holds for it (this one, or a CallLimit on it): see {@link placedBy}. */
  #placement: PlacementProbe | undefined = undefined;
  #held: object | undefined = undefined;
  /** The pending abort of {@link abandon}, cleared when the call settles first. */
  #grace: NodeJS.Timeout | undefined = undefined;

  /** Sets the one listener (a later one replaces it). `type` is always 'abort'. */
  addEventListener(_type: 'abort', listener: () => void): void {
    this.#listener = listener;
  }

  /** Removes `listener` if it is the one set: the call settled, so an {@link abandon} grace ends unused. */
  removeEventListener(_type: 'abort', listener: () => void): void {
    if (this.#listener !== listener) return;
    this.#listener = undefined;
    clearTimeout(this.#grace);
    this.#grace = undefined;
  }

  /**
   * Told by whoever hands the call to a pool: `probe` answers whether the task piscina runs with
   * `held` (this signal, or a CallLimit listening to it) is in a worker yet. {@link abandon} asks.
   */
  placedBy(probe: PlacementProbe, held: object): void {
    this.#placement = probe;
    this.#held = held;
  }

  /**
   * The caller is gone and nobody will read the answer. A call still queued is dropped at once
   * (aborted). A call already in a worker gets `graceMs` to finish: ending it sooner would end
   * its worker, and the pool would boot another, which costs far more than a short call's end.
   * If it is still running then, it is aborted (its worker ends). `graceMs` 0, or a call whose
   * place is unknown, aborts at once. The first call decides: later ones, and calls once
   * aborted, do nothing.
   */
  abandon(reason: unknown, graceMs: number): void {
    if (this.aborted || this.#grace !== undefined) return;
    const placement = this.#placement;
    if (graceMs <= 0 || this.#listener === undefined || placement === undefined || placement.isPlaced(this.#held as object) !== true) {
      this.abort(reason);
      return;
    }
    this.#grace = setTimeout(CallSignal.#graceOver, graceMs, this, reason);
    // A call's own end, or the pool's, settles it anyway: the timer never holds the process open.
    this.#grace.unref();
  }

  static #graceOver(signal: CallSignal, reason: unknown): void {
    signal.#grace = undefined;
    signal.abort(reason);
  }

  /** True while a listener is set (for tests). */
  get listened(): boolean {
    return this.#listener !== undefined;
  }

  /** Aborts with `reason` and calls the listener, once; later calls do nothing. */
  abort(reason: unknown): void {
    if (this.aborted) return;
    clearTimeout(this.#grace);
    this.#grace = undefined;
    this.aborted = true;
    this.reason = reason;
    const listener = this.#listener;
    this.#listener = undefined;
    listener?.();
  }
}
