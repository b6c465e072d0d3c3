import { describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

type MapFixture = typeof import('./fixtures/map.ts');

describe('map() through upgrades', () => {
  it('2 callers mapping in a loop through 20 upgrades: no map fails, each runs wholly on the version it started on', async () => {
    const ws = workspace();
    const mod = await ws.hot<MapFixture>(ws.copy('map.ts'), { threads: 2 });
    const upgrades = 20;
    let running = true;
    const failures: unknown[] = [];
    const mixed: string[] = [];
    const versionsSeen = new Set<string>();
    let maps = 0;

    const callers = Array.from({ length: 2 }, async () => {
      const inputs = Array.from({ length: 400 }, (_, i) => i);
      while (running) {
        const started = `v${mod.version.id}`;
        try {
          const results = await mod.map('where', inputs, { chunkSize: 16 });
          maps++;
          const versions = new Set(results.map((result) => result.version));
          // Every chunk ran on the version current when the map started.
          if (versions.size !== 1 || !versions.has(started)) mixed.push(`started on ${started}, ran on ${[...versions]}`);
          for (const version of versions) versionsSeen.add(version);
          expect(results.map((result) => result.n)).toEqual(inputs);
        } catch (error) {
          failures.push(error);
        }
      }
    });

    try {
      for (let version = 2; version <= upgrades + 1; version++) {
        ws.write('map.ts', ws.fixture('map.ts').replace("VERSION = 'v1'", `VERSION = 'v${version}'`));
        expect((await mod.upgrade()).id).toBe(version);
        // Right after upgrade(): only the new version is alive, so no map still runs on the old one.
        expect(mod.stats.alive.map((generation) => generation.version.id)).toEqual([version]);
      }
    } finally {
      // Stopped in `finally`: a failing expectation must not leave the callers spinning.
      running = false;
      await Promise.all(callers);
    }
    expect(failures).toEqual([]);
    expect(mixed).toEqual([]);
    expect(maps).toBeGreaterThan(0);
    expect(versionsSeen.size).toBeGreaterThan(1);
    expect(await mod.map('where', [1])).toMatchObject([{ version: `v${upgrades + 1}` }]);
  });
});
