// Progress from a worker, and results as they come: a progress bar driven by a callback the
// worker calls, then a stream of primes read until the caller has enough (`break` stops the
// generator in the worker).
//
// Run it with `npm run build && node examples/progress/main.js`.
import { hot } from 'hotworker';

const mod = await hot(new URL('./primes.ts', import.meta.url), { threads: 1 });

const bar = (done, total) => {
  const width = 30;
  const filled = Math.round((done / total) * width);
  process.stdout.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.round((done / total) * 100)}%`);
};
const count = await mod.api.countPrimes(2_000_000, { onProgress: bar, every: 100_000 });
console.log(`\n${count} primes below 2,000,000`);

const found = [];
for await (const prime of mod.stream('primes', 1_000_000_000)) {
  found.push(prime);
  if (found.length === 5) break;
}
console.log(`the first primes above 10^9: ${found.join(', ')}`);
console.log(`calls in flight after the break: ${mod.stats.inFlight}`);

await mod.close();
