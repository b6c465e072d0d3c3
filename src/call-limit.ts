import { CallSignal, type SignalLike } from './call-signal.js';

/**
 * What a call with a timeout hands piscina as its signal: it aborts when the caller's own
 * signal aborts or when the timeout passes, whichever comes first. A {@link CallSignal}, so a
 * plain object (see call-signal.ts for why); {@link deadline} stays for everything else.
 */
export class CallLimit extends CallSignal {
  #expired = false;
  readonly #timer: NodeJS.Timeout;
  readonly #parent: SignalLike | undefined;
  readonly #onParentAbort: (() => void) | undefined;

  /**
   * @param parent - the caller's signal, if any
   * @param ms - a finite timeout in milliseconds (`Infinity` needs no limit)
   */
  constructor(parent: SignalLike | undefined, ms: number) {
    super();
    this.#parent = parent;
    this.#timer = setTimeout(CallLimit.#expire, ms, this);
    if (parent === undefined) return;
    this.#onParentAbort = () => this.abort(parent.reason);
    if (parent.aborted) this.abort(parent.reason);
    else parent.addEventListener('abort', this.#onParentAbort, { once: true });
  }

  /** True when the timeout, not the caller's signal, aborted the call. */
  get expired(): boolean {
    return this.#expired;
  }

  /**
   * Clears the timer and stops listening to the caller's signal, once the call has settled
   * (piscina removes its own listener then). Idempotent.
   */
  dispose(): void {
    clearTimeout(this.#timer);
    if (this.#onParentAbort !== undefined) this.#parent?.removeEventListener('abort', this.#onParentAbort);
  }

  static #expire(limit: CallLimit): void {
    if (limit.aborted) return;
    limit.#expired = true;
    limit.abort('deadline');
  }
}
