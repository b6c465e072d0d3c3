/**
 * Abort controllers used again once a call settles unaborted.
 *
 * Every call `serve` makes carries a signal (a client that goes away aborts its call), and
 * Node 20 takes a few microseconds to make an `AbortSignal`: a measurable share of a trivial
 * call's cost on the main thread (bench scenario 11). Almost no call is abandoned, so almost
 * every controller can serve the next call. One is only taken back when it is safe to: not
 * aborted, and with no `abort` listener left on its signal (the library and piscina remove
 * theirs when the call settles; one left behind would hear the next call's abort).
 */
import { getEventListeners } from 'node:events';

export class AbortPool {
  /** Controllers never aborted, no listener on their signal; at most `#limit`. */
  readonly #spare: AbortController[] = [];
  readonly #limit: number;

  /** @param limit - the most controllers kept for reuse (the calls in flight at once, at most) */
  constructor(limit = 256) {
    this.#limit = limit;
  }

  /** A controller never aborted, whose signal nobody listens to. */
  take(): AbortController {
    return this.#spare.pop() ?? new AbortController();
  }

  /** Gives back a controller once its call has settled; kept only when it is as good as new. */
  release(controller: AbortController): void {
    if (controller.signal.aborted || this.#spare.length >= this.#limit) return;
    if (getEventListeners(controller.signal, 'abort').length > 0) return;
    this.#spare.push(controller);
  }

  /** Controllers kept for reuse (for tests). */
  get size(): number {
    return this.#spare.length;
  }
}
