/**
 * close() while a new version is being proved (its workers loading, or loaded and the host
 * waiting for their first answer): the upgrade rejects with close()'s ERR_HOT_CLOSED at once,
 * not as a version that failed to load or answer, and no pool is left. With `standby` (the
 * default) the version runs on the standby pool, which close() ends itself; without it, only
 * the close signal reaches the load proof.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

type Versioned = typeof import('./fixtures/versioned.ts');

/** The fixture that replaces the module, and what its marker file says once it exists. */
const phases: Array<[string, string, boolean]> = [
  ['workers loading (fresh pool)', 'spins-at-load-marked.ts', false],
  ['loaded, first answer awaited (fresh pool)', 'blocks-first-answer.ts', false],
  ['loaded, first answer awaited (standby pool)', 'blocks-first-answer.ts', true],
];

describe('close() during the load proof', () => {
  it.each(phases)('%s: the upgrade rejects ERR_HOT_CLOSED', async (_, fixture, standby) => {
    const ws = workspace();
    // Far beyond the test's own timeout: only close() can end this load proof in time.
    const mod = await ws.hot<Versioned>(ws.copy('versioned.ts'), { threads: 1, loadTimeout: 600_000, standby });
    const marker = join(ws.dir, 'marker');
    ws.write('versioned.ts', ws.fixture(fixture).replace("'__MARKER__'", JSON.stringify(marker)));
    const upgrading = mod.upgrade({ allowBreaking: true }).catch((error: unknown) => error);
    await expect.poll(() => existsSync(marker), { timeout: 20_000 }).toBe(true);
    await mod.close();
    expect(await upgrading).toMatchObject({ code: 'ERR_HOT_CLOSED' });
    expect(mod.stats.alive).toEqual([]);
  });

  it('close() as the load begins, before the pool starts: the load proof starts aborted and rejects ERR_HOT_CLOSED', async () => {
    const ws = workspace();
    const mod = await ws.hot<Versioned>(ws.copy('versioned.ts'), { threads: 1, loadTimeout: 600_000, standby: false });
    ws.write('versioned.ts', ws.fixture('loops-at-load.ts'));
    let closing: Promise<void> | undefined;
    const upgrading = mod
      .upgrade({
        allowBreaking: true,
        // The upgrade goes on to read the new bundle (I/O) before it starts the pool: close()
        // in a microtask lands in between, so the load proof starts with its signal aborted.
        onPhase: ({ phase }) => {
          if (phase === 'load') queueMicrotask(() => (closing = mod.close()));
        },
      })
      .catch((error: unknown) => error);
    expect(await upgrading).toMatchObject({ code: 'ERR_HOT_CLOSED' });
    expect(closing).toBeDefined();
    await closing;
    expect(mod.stats.alive).toEqual([]);
  });
});
