/**
 * The calls the server has in flight, so a shutdown that has to cut them can say which.
 */
import { performance } from 'node:perf_hooks';

/** One call in flight. */
export interface OpenCall {
  readonly fn: string;
  /** The version label it runs on. */
  readonly version: string;
  /** `performance.now()` when it started. */
  readonly started: number;
}

export class OpenCalls {
  readonly #calls = new Set<OpenCall>();

  /** Counts a call in; returns the handle to {@link remove} when it settles. */
  add(fn: string, version: string): OpenCall {
    const call = { fn, version, started: performance.now() };
    this.#calls.add(call);
    return call;
  }

  remove(call: OpenCall): void {
    this.#calls.delete(call);
  }

  get size(): number {
    return this.#calls.size;
  }

  /** `spin() on 1-ab12cd34, running 12.3 s; …`, longest-running first (at most `limit` named). */
  describe(limit = 20): string {
    const now = performance.now();
    const calls = [...this.#calls].sort((a, b) => a.started - b.started);
    const named = calls
      .slice(0, limit)
      .map((call) => `${call.fn}() on ${call.version}, running ${((now - call.started) / 1000).toFixed(1)} s`);
    if (calls.length > limit) named.push(`and ${calls.length - limit} more`);
    return named.join('; ');
  }
}
