import { subscribe, unsubscribe } from './abort-fanout.js';
import { CallSignal, type SignalLike } from './call-signal.js';

/**
 * What a call with a timeout, or with an `AbortSignal` of the caller's, hands piscina as its
 * signal: it aborts when the caller's own signal aborts or when the timeout passes, whichever
 * comes first. A {@link CallSignal}, so a plain object (see call-signal.ts for why);
 * {@link deadline} stays for everything else. It listens to an `AbortSignal` through
 * abort-fanout.ts: calls in flight on one shared signal cost O(1) each, not O(calls).
 */
export class CallLimit extends CallSignal {
  #expired = false;
  readonly #timer: NodeJS.Timeout | undefined;
  readonly #parent: SignalLike | undefined;
  readonly #onParentAbort: (() => void) | undefined;

  /**
   * @param parent - the caller's signal, if any
   * @param ms - the timeout in milliseconds; `Infinity` sets no timer (the limit then only relays `parent`)
   */
  constructor(parent: SignalLike | undefined, ms: number) {
    super();
    this.#parent = parent;
    if (ms !== Number.POSITIVE_INFINITY) this.#timer = setTimeout(CallLimit.#expire, ms, this);
    if (parent === undefined) return;
    this.#onParentAbort = () => this.abort(parent.reason);
    if (parent.aborted) this.abort(parent.reason);
    // A CallSignal is one call's own, with room for one listener: listened to directly.
    else if (parent instanceof CallSignal) parent.addEventListener('abort', this.#onParentAbort);
    else subscribe(parent, this.#onParentAbort);
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
    const parent = this.#parent;
    if (parent === undefined || this.#onParentAbort === undefined) return;
    if (parent instanceof CallSignal) parent.removeEventListener('abort', this.#onParentAbort);
    else unsubscribe(parent, this.#onParentAbort);
  }

  static #expire(limit: CallLimit): void {
    if (limit.aborted) return;
    limit.#expired = true;
    limit.abort('deadline');
  }
}
