/**
 * A call runs on the version that is current at the moment it is made, not a tick later:
 * calls made in every microtask around the shift must each answer from the version `version`
 * named when the call was made.
 */
import type { HotModule } from 'hotworker';
import { describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

type Versioned = typeof import('./fixtures/versioned.ts');

describe('a call is pinned to the version current when it is made', () => {
  it('calls made in each microtask across the shift answer from the version current at the call', async () => {
    const ws = workspace();
    const made: Array<Promise<[number, number]>> = [];
    let mod: HotModule<Versioned> | undefined;
    /** One call per microtask, `count` of them, each recording the version current at the call. */
    const burst = (count: number): void => {
      if (count === 0 || mod === undefined) return;
      const current = mod.version.id;
      made.push(mod.api.version().then((answer) => [current, answer]));
      queueMicrotask(() => burst(count - 1));
    };
    mod = await ws.hot<Versioned>(ws.copy('versioned.ts'), {
      threads: 2,
      // verify() is the last user code before the shift: a burst started here runs on through it.
      verify: async (api) => {
        if ((await api.version()) === 2) burst(200);
      },
    });
    ws.write('versioned.ts', ws.fixture('versioned.ts').replace('VERSION = 1', 'VERSION = 2'));
    await mod.upgrade();
    const answers = await Promise.all(made);

    expect(answers).toHaveLength(200);
    // The burst straddles the shift: both versions were current during it.
    expect(new Set(answers.map(([current]) => current))).toEqual(new Set([1, 2]));
    expect(answers.filter(([current, answer]) => current !== answer)).toEqual([]);
  });
});
