/**
 * How many OS threads this process has: each worker thread is one. Used to prove that
 * closing a module leaves no worker thread behind. Linux only (reads /proc).
 */
import { readdirSync } from 'node:fs';

export const canCountThreads = process.platform === 'linux';

export function osThreadCount(): number {
  return readdirSync('/proc/self/task').length;
}
