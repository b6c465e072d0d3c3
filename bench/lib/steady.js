/**
 * Waits until a module is in the state a long-running service is in: its standby threads booted.
 * They boot two seconds after the module starts or shifts to a new version; a measurement that
 * begins before then shares the CPU with their boot, and charges it to whichever contender happens
 * to be measured at that moment.
 */
import { setTimeout as sleep } from 'node:timers/promises';

const LIMIT_MS = 30_000;

export async function steady(module) {
  const started = performance.now();
  while (!module.stats.standby.ready) {
    if (performance.now() - started > LIMIT_MS) throw new Error(`standby threads still not ready after ${LIMIT_MS / 1000} s`);
    await sleep(10);
  }
}
