// examples/progress runs as documented: a progress bar from a worker callback, then a stream read until break.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

describe('examples/progress', () => {
  it('is what the README shows under Callbacks and Streams', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const main = readFileSync(new URL('../examples/progress/main.js', import.meta.url), 'utf8');
    const primes = readFileSync(new URL('../examples/progress/primes.ts', import.meta.url), 'utf8');
    for (const lines of [
      'const count = await mod.api.countPrimes(2_000_000, { onProgress: bar, every: 100_000 });',
      "for await (const prime of mod.stream('primes', 1_000_000_000)) {\n  found.push(prime);\n  if (found.length === 5) break;\n}",
    ]) {
      expect(main).toContain(lines);
      expect(readme).toContain(lines);
    }
    const worker = primes.slice(primes.indexOf('export async function countPrimes'), primes.indexOf('/** Yields the primes'));
    expect(readme).toContain(worker.trim());
    expect(readme).toContain(primes.slice(primes.indexOf('export async function* primes'), primes.indexOf('function isPrime')).trim());
  });

  it('draws the bar to 100 %, prints the count and the first primes, and leaves no call in flight', async () => {
    const ws = workspace();
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [fileURLToPath(new URL('../examples/progress/main.js', import.meta.url))],
      {
        cwd: ws.dir,
      },
    );
    const frames = stdout.split('\r');
    expect(frames.length).toBeGreaterThan(10);
    expect(stdout).toContain('[##############################] 100%');
    expect(stdout).toContain('148933 primes below 2,000,000');
    expect(stdout).toContain('the first primes above 10^9: 1000000007, 1000000009, 1000000021, 1000000033, 1000000087');
    expect(stdout).toContain('calls in flight after the break: 0');
  });
});
