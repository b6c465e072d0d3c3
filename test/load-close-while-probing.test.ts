/**
 * close() while a new version has loaded and the host waits for its first answer: the upgrade
 * rejects with close()'s ERR_HOT_CLOSED, not as a version that failed to answer, and no pool of
 * the version it tried is left.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

type Versioned = typeof import('./fixtures/versioned.ts');

describe('close() during the load proof', () => {
  it('cut short while the new version is probed: the upgrade rejects ERR_HOT_CLOSED', async () => {
    const ws = workspace();
    const mod = await ws.hot<Versioned>(ws.copy('versioned.ts'), { threads: 1, loadTimeout: 60_000 });
    const marker = join(ws.dir, 'probed');
    ws.write('versioned.ts', ws.fixture('blocks-first-answer.ts').replace("'__MARKER__'", JSON.stringify(marker)));
    const upgrading = mod.upgrade({ allowBreaking: true }).catch((error: unknown) => error);
    // The marker exists once the new worker holds the host's probe: loaded, not answering.
    await expect.poll(() => existsSync(marker), { timeout: 20_000 }).toBe(true);
    await mod.close();
    expect(await upgrading).toMatchObject({ code: 'ERR_HOT_CLOSED' });
    expect(mod.stats.alive).toEqual([]);
  });
});
