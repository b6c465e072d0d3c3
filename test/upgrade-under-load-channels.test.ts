import { describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

type Channels = typeof import('./fixtures/channels-versioned.ts');

describe('callbacks and streams under upgrades', () => {
  it('callers with callbacks and stream readers through 20 upgrades: none fails, each stream stays on one version', async () => {
    const ws = workspace();
    const entry = ws.copy('channels-versioned.ts');
    const mod = await ws.hot<Channels>(entry, { threads: 2 });
    const upgrades = 20;
    let running = true;
    const failures: unknown[] = [];
    const counts = { callbacks: 0, streams: 0 };

    const callbackCallers = Array.from({ length: 2 }, async () => {
      while (running) {
        const current = mod.version.id;
        try {
          let told = 0;
          const answer = await mod.api.report((version) => {
            told = version;
            return version * 10;
          });
          expect(told).toBeGreaterThanOrEqual(current);
          expect(answer).toBe(told * 10);
          counts.callbacks++;
        } catch (error) {
          failures.push(error);
        }
      }
    });
    const streamReaders = Array.from({ length: 2 }, async () => {
      while (running) {
        const current = mod.version.id;
        try {
          const seen = new Set<number>();
          for await (const version of mod.stream('versions', 20)) seen.add(version);
          // Pinned: one stream never mixes versions.
          expect(seen.size).toBe(1);
          expect([...seen][0]).toBeGreaterThanOrEqual(current);
          counts.streams++;
        } catch (error) {
          failures.push(error);
        }
      }
    });

    for (let version = 2; version <= upgrades + 1; version++) {
      ws.write('channels-versioned.ts', ws.fixture('channels-versioned.ts').replace('VERSION = 1', `VERSION = ${version}`));
      expect((await mod.upgrade()).id).toBe(version);
    }
    running = false;
    await Promise.all([...callbackCallers, ...streamReaders]);

    expect(failures).toEqual([]);
    expect(counts.callbacks).toBeGreaterThan(0);
    expect(counts.streams).toBeGreaterThan(0);
    expect(await mod.api.report(async (version) => version)).toBe(upgrades + 1);
    expect(mod.stats.inFlight).toBe(0);
  });
});
