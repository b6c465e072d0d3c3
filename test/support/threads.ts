/**
 * How many OS threads this process has: each worker thread is one. Used to prove that
 * closing a module leaves no worker thread behind. Linux only (reads /proc).
 */
import { readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export const canCountThreads = process.platform === 'linux';

export function osThreadCount(): number {
  return canCountThreads ? readdirSync('/proc/self/task').length : 0;
}

/**
 * Resolves with the thread count once it is back to `baseline` or below, or with the count
 * still above it after `timeoutMs`. An OS thread can outlive its Worker's 'exit' event by a
 * moment while it is joined, so the count is polled rather than read once.
 */
export async function threadsAfterSettling(baseline: number, timeoutMs = 5_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let count = osThreadCount();
  while (count > baseline && Date.now() < deadline) {
    await sleep(10);
    count = osThreadCount();
  }
  return count;
}
