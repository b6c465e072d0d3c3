/**
 * The answers a server has begun and not yet closed: what a shutdown waits for, and asks to close
 * their connections.
 *
 * An array with each answer's index kept on it, not a `Set`: the entries churn at the request
 * rate, and with a `Set` the young generation kept about three times as much alive across each
 * collection under `hotworker serve` load (`node --trace-gc-nvp`, 32 connections: 1.9 MB against
 * 0.6 MB survived per scavenge), most of it then promoted to the old generation, which the GC's
 * helper threads paid for in CPU the workers needed (bench scenario 11).
 */
import type { ServerResponse } from 'node:http';

/** Where an answer sits in the list, on the answer itself. */
const AT = Symbol('hotworker.openAnswerIndex');

type Tracked = ServerResponse & { [AT]?: number | undefined };

export class OpenAnswers {
  readonly #answers: Tracked[] = [];

  /** Answers begun and not yet closed. */
  get size(): number {
    return this.#answers.length;
  }

  /** Tracks `response` until {@link delete}; adding one already tracked does nothing (an answer belongs to one server). */
  add(response: ServerResponse): void {
    const tracked = response as Tracked;
    if (tracked[AT] !== undefined) return;
    tracked[AT] = this.#answers.length;
    this.#answers.push(tracked);
  }

  /** Stops tracking `response` (the last one takes its place); one not tracked is ignored. */
  delete(response: ServerResponse): void {
    const tracked = response as Tracked;
    const at = tracked[AT];
    if (at === undefined || this.#answers[at] !== tracked) return;
    tracked[AT] = undefined;
    const last = this.#answers.pop() as Tracked;
    if (last === tracked) return;
    this.#answers[at] = last;
    last[AT] = at;
  }

  /** The answers tracked now, in no particular order. */
  [Symbol.iterator](): IterableIterator<ServerResponse> {
    return this.#answers[Symbol.iterator]();
  }
}
