/**
 * One 'abort' listener on a caller's `AbortSignal`, however many calls share the signal.
 *
 * An `AbortSignal` is an `EventTarget`, and Node's `addEventListener` scans the listeners
 * already there (to skip a duplicate): with N calls in flight on one signal (a shutdown signal
 * passed to every call, say), each new call costs O(N), and 50,000 such calls took about 4 s
 * of main-thread time on Node 20, with a `MaxListenersExceededWarning` past the tenth. Here a
 * signal has a single listener while any call waits on it, and each call is an entry in a
 * Set: O(1) to add and to remove.
 */
import type { SignalLike } from './call-signal.js';

interface Subscription {
  readonly listeners: Set<() => void>;
  readonly onAbort: () => void;
}

const subscriptions = new WeakMap<SignalLike, Subscription>();

/**
 * Calls `listener` once when `signal` aborts, unless {@link unsubscribe}d first. Does nothing
 * when `signal` has already aborted (as `addEventListener` would never call it): the caller
 * checks `signal.aborted` first.
 */
export function subscribe(signal: SignalLike, listener: () => void): void {
  if (signal.aborted) return;
  let subscription = subscriptions.get(signal);
  if (subscription === undefined) {
    const listeners = new Set<() => void>();
    const onAbort = () => {
      subscriptions.delete(signal);
      for (const each of listeners) each();
      listeners.clear();
    };
    subscription = { listeners, onAbort };
    subscriptions.set(signal, subscription);
    signal.addEventListener('abort', onAbort, { once: true });
  }
  subscription.listeners.add(listener);
}

/**
 * Stops `listener` hearing `signal`'s abort. Idempotent. The last one out removes the signal's
 * listener too: Node holds an `AbortSignal.timeout()` signal that has an 'abort' listener in
 * memory until it fires, and a call's should go when the call does.
 */
export function unsubscribe(signal: SignalLike, listener: () => void): void {
  const subscription = subscriptions.get(signal);
  if (subscription === undefined || !subscription.listeners.delete(listener) || subscription.listeners.size > 0) return;
  subscriptions.delete(signal);
  signal.removeEventListener('abort', subscription.onAbort);
}

/** How many listeners wait on `signal` through {@link subscribe} (for tests). */
export function subscriberCount(signal: SignalLike): number {
  return subscriptions.get(signal)?.listeners.size ?? 0;
}
