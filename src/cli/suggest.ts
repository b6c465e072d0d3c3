/**
 * "Did you mean": the known name closest to a mistyped one, for unknown flags and config keys.
 */

/** The candidate nearest to `typed` (edit distance, or a prefix of it), or undefined when none is close. */
export function closest(typed: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  const wanted = typed.toLowerCase();
  for (const candidate of candidates) {
    const name = candidate.toLowerCase();
    // `--prot` is two edits from `--port`; a typo that long in a short name is still a typo,
    // a third of the name changed is another word.
    const distance = name.startsWith(wanted) && wanted.length >= 3 ? 1 : editDistance(wanted, name);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const limit = Math.max(1, Math.min(3, Math.floor(typed.length / 3)));
  return bestDistance <= limit ? best : undefined;
}

/** `; did you mean '--port'?` or nothing. */
export function didYouMean(typed: string, candidates: Iterable<string>, show: (name: string) => string = (name) => name): string {
  const found = closest(typed, candidates);
  return found === undefined ? '' : `; did you mean '${show(found)}'?`;
}

/** Damerau-Levenshtein (optimal string alignment): a swap of two letters is one edit. */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const row = d[i] as number[];
      const above = d[i - 1] as number[];
      row[j] = Math.min((above[j] as number) + 1, (row[j - 1] as number) + 1, (above[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
      }
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}
