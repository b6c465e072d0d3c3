// Runs in a worker. Two ways to report on long work:
// - `countPrimes` takes an `onProgress` callback and awaits it as it goes (a progress bar);
// - `primes` is an async generator: the caller reads each prime as it is found.

/** Counts the primes below `limit`, calling `onProgress(done, total)` every `every` numbers. */
export async function countPrimes(
  limit: number,
  { onProgress, every = 10_000 }: { onProgress: (done: number, total: number) => Promise<void>; every?: number },
): Promise<number> {
  let count = 0;
  for (let n = 2; n < limit; n++) {
    if (isPrime(n)) count++;
    // Awaiting the callback holds this worker back until the caller has drawn the bar.
    if (n % every === 0) await onProgress(n, limit);
  }
  await onProgress(limit, limit);
  return count;
}

/** Yields the primes from `from` on, without end: the caller decides when it has enough. */
export async function* primes(from: number): AsyncGenerator<number> {
  for (let n = Math.max(2, from); ; n++) if (isPrime(n)) yield n;
}

function isPrime(n: number): boolean {
  if (n < 4) return n > 1;
  if (n % 2 === 0) return false;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}
