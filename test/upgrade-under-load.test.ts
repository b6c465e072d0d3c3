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

    const callers = Array.from({ length: 4 }, async (_, caller) => {
      const answers: number[] = [];
      seen[caller] = answers;
      while (running) {
        // Which versions may answer: any from the one current when the call started on.
        const current = mod.version.id;
        try {
          const answer = await mod.api.version();
          expect(answer).toBeGreaterThanOrEqual(current);
          answers.push(answer);
        } catch (error) {
          failures.push(error);
        }
      }
    });

    for (let version = 2; version <= upgrades + 1; version++) {
      ws.write('versioned.ts', ws.fixture('versioned.ts').replace('VERSION = 1', `VERSION = ${version}`));
      const upgraded = await mod.upgrade();
      expect(upgraded.id).toBe(version);
    }
    running = false;
    await Promise.all(callers);

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
