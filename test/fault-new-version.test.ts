import type { HotModule } from 'hotworker';
import { describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

type Versioned = typeof import('./fixtures/versioned.ts');

/** Calls `version()` in a loop until stopped; collects every failure. */
function keepCalling(mod: HotModule<Versioned>) {
  let running = true;
  const failures: unknown[] = [];
  let calls = 0;
  const loops = Array.from({ length: 3 }, async () => {
    while (running) {
      try {
        await mod.api.version();
        calls++;
      } catch (error) {
        failures.push(error);
      }
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return { calls, failures };
    },
  };
}

describe('faults in a new version', () => {
  it('no call fails while bad versions are tried, and the old one keeps serving', async () => {
    const ws = workspace();
    const mod = await ws.hot<Versioned>(ws.copy('versioned.ts'), {
      threads: 2,
      // Long enough for a worker to start on a busy machine; the endless loader costs this much.
      loadTimeout: 2_000,
      verify: async (api) => {
        await api.version();
      },
    });
    const callers = keepCalling(mod);
    // Stopped in `finally`: a failing expectation must not leave the callers spinning.
    let stopped: { calls: number; failures: unknown[] } | undefined;
    const attempts: Array<[string, string]> = [
      ['syntax-error.ts', 'ERR_HOT_BUILD'],
      ['missing-import.ts', 'ERR_HOT_BUILD'],
      ['throws-at-load.ts', 'ERR_HOT_LOAD'],
      ['loops-at-load.ts', 'ERR_HOT_LOAD'],
      ['exits-at-load.ts', 'ERR_HOT_LOAD'],
      ['always-throws.ts', 'ERR_HOT_VERIFY'],
      ['math.ts', 'ERR_HOT_INCOMPATIBLE'],
    ];
    try {
      for (const [fixture, code] of attempts) {
        ws.write('versioned.ts', ws.fixture(fixture));
        await expect(mod.upgrade({ allowBreaking: code !== 'ERR_HOT_INCOMPATIBLE' }), fixture).rejects.toMatchObject({ code });
      }
    } finally {
      stopped = await callers.stop();
    }
    const { calls, failures } = stopped;
    expect(failures).toEqual([]);
    expect(calls).toBeGreaterThan(0);
    expect(mod.version.id).toBe(1);
    expect(mod.stats.alive).toHaveLength(1);
  });

  it('a version that crashes its worker on every call: coded failures, the pool keeps replacing workers, rollback restores service', async () => {
    const ws = workspace();
    const mod = await ws.hot<Versioned>(ws.copy('versioned.ts'), { threads: 2 });
    mod.on('crash', () => {});
    ws.write('versioned.ts', ws.fixture('crash-on-call.ts'));
    await mod.upgrade();

    for (let i = 0; i < 4; i++) {
      await expect(mod.api.version()).rejects.toMatchObject({ code: 'ERR_HOT_WORKER_EXIT', exitCode: 7, version: 2 });
    }
    // The pool still answers calls that do not crash: its workers were replaced.
    expect(await mod.api.echo('still here')).toBe('still here');

    await mod.rollback();
    expect(await mod.api.version()).toBe(1);
    expect(mod.version.id).toBe(1);
  });
});
