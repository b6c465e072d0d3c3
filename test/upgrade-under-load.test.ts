import { describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

type Versioned = typeof import('./fixtures/versioned.ts');

describe('upgrades under load', () => {
  it('4 concurrent callers looping through 20 upgrades: every call settles with a valid result, none fails', async () => {
    const ws = workspace();
    const mod = await ws.hot<Versioned>(ws.copy('versioned.ts'), { threads: 2 });
    const upgrades = 20;
    let running = true;
    const failures: unknown[] = [];
    const seen: number[][] = [];
    /** Calls in flight per version they were made on: none of an old version may outlive its upgrade. */
    const inFlight = new Map<number, number>();

    const callers = Array.from({ length: 4 }, async (_, caller) => {
      const answers: number[] = [];
      seen[caller] = answers;
      while (running) {
        // Which versions may answer: any from the one current when the call started on.
        // The version current when the call is made is the one that answers it.
        const current = mod.version.id;
        inFlight.set(current, (inFlight.get(current) ?? 0) + 1);
        try {
          const answer = await mod.api.version();
          expect(answer).toBe(current);
          answers.push(answer);
        } catch (error) {
          failures.push(error);
        } finally {
          inFlight.set(current, (inFlight.get(current) ?? 1) - 1);
        }
      }
    });

    const lingering: string[] = [];
    try {
      for (let version = 2; version <= upgrades + 1; version++) {
        ws.write('versioned.ts', ws.fixture('versioned.ts').replace('VERSION = 1', `VERSION = ${version}`));
        const threadsBefore = mod.stats.alive[0]?.threadIds ?? [];
        const upgraded = await mod.upgrade();
        expect(upgraded.id).toBe(version);
        // Right after `await upgrade()`: no call of the old version is in flight, and no worker
        // of it serves.
        const left = inFlight.get(version - 1) ?? 0;
        if (left > 0) lingering.push(`${left} calls of v${version - 1} in flight after upgrade to v${version}`);
        const alive = mod.stats.alive.flatMap((generation) => generation.threadIds);
        if (mod.stats.alive.length !== 1 || alive.some((id) => threadsBefore.includes(id))) {
          lingering.push(`workers of v${version - 1} alive after upgrade to v${version}`);
        }
      }
    } finally {
      // Stopped in `finally`: a failing expectation must not leave the callers spinning.
      running = false;
      await Promise.all(callers);
    }
    expect(lingering).toEqual([]);

    expect(failures).toEqual([]);
    for (const answers of seen) {
      expect(answers.length).toBeGreaterThan(0);
      // Each caller sees versions in order: never an older version after a newer one.
      expect([...answers].sort((a, b) => a - b)).toEqual(answers);
      for (const answer of answers) expect(answer).toBeGreaterThanOrEqual(1);
      for (const answer of answers) expect(answer).toBeLessThanOrEqual(upgrades + 1);
    }
    expect(await mod.api.version()).toBe(upgrades + 1);
    expect(mod.stats.alive).toHaveLength(1);
  });
});
