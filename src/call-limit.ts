/**
 * What a call with a timeout hands piscina as its signal: it aborts when the caller's own
 * signal aborts or when the timeout passes, whichever comes first.
 *
 * A plain object, not an `AbortSignal`: piscina needs only `aborted`, `reason` and one 'abort'
 * listener of whatever it is given, and Node 20 takes microseconds to make an AbortSignal and to
 * add and remove a listener on one, a measurable share of a trivial call with a timeout (every
 * call `hotworker serve` makes has one). {@link deadline} stays for everything else.
 */
export class CallLimit {
  /** True once aborted, by the caller's signal or by the timeout. */
  aborted = false;
  /** The caller's signal's reason, or `'deadline'`. */
  reason: unknown = undefined;
  #expired = false;
  #listener: (() => void) | undefined;
  readonly #timer: NodeJS.Timeout;
  readonly #parent: AbortSignal | undefined;
  readonly #onParentAbort: (() => void) | undefined;

  /** @param ms - a finite timeout in milliseconds (`Infinity` needs no limit) */
  constructor(parent: AbortSignal | undefined, ms: number) {
    this.#parent = parent;
    this.#timer = setTimeout(CallLimit.#expire, ms, this);
    if (parent === undefined) return;
    this.#onParentAbort = () => this.#abort(parent.reason);
    if (parent.aborted) this.#abort(parent.reason);
    else parent.addEventListener('abort', this.#onParentAbort, { once: true });
  }

  /** True when the timeout, not the caller's signal, aborted the call. */
  get expired(): boolean {
    return this.#expired;
  }

  /** piscina's listener (it adds one per task, and removes it when the task settles). */
  addEventListener(_type: 'abort', listener: () => void): void {
    this.#listener = listener;
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    if (this.#listener === listener) this.#listener = undefined;
  }

  /** Clears the timer and stops listening to the caller's signal. Idempotent. */
  dispose(): void {
    clearTimeout(this.#timer);
    if (this.#onParentAbort !== undefined) this.#parent?.removeEventListener('abort', this.#onParentAbort);
    this.#listener = undefined;
  }

  static #expire(limit: CallLimit): void {
    limit.#expired = true;
    limit.#abort('deadline');
  }

  #abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listener = this.#listener;
    this.#listener = undefined;
    listener?.();
  }
}
