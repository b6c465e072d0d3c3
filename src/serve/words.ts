/**
 * Numbers as a person reads them in a log line or a terminal: `1 call`, `2 calls`, `12 ms`,
 * `1.4 s`. Machine forms (JSON logs, metrics, status) keep the full figures.
 */

/** `1 call`, `0 calls`, `3 calls`; `irregular` for nouns that do not take an s. */
export function plural(count: number, noun: string, irregular = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : irregular}`;
}

/** Milliseconds rounded for people: `0.4 ms`, `12 ms`, `1.4 s`, `2 min 5 s`. */
export function duration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 1) return `${Number(ms.toFixed(1))} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(1))} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}
