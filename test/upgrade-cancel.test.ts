/**
 * upgrade({ signal }) and rollback({ signal }): cancelled before traffic shifts, they reject with
 * the signal's reason, the serving version is untouched, and nothing of the new one is left.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

type Versioned = typeof import('./fixtures/versioned.ts');

/** The fixture that replaces the module, and whether the version loads on standby threads. */
const phases: Array<[string, string, boolean]> = [
  ['workers loading (fresh pool)', 'spins-at-load-marked.ts', false],
  ['loaded, first answer awaited (standby pool)', 'blocks-first-answer.ts', true],
];

describe('cancelling an upgrade or a rollback', () => {
  it.each(phases)('%s: the upgrade rejects with the reason and the old version serves on', async (_, fixture, standby) => {
    const ws = workspace();
    // Far beyond the test's own timeout: only the signal can end this load proof in time.
    const mod = await ws.hot<Versioned>(ws.copy('versioned.ts'), { threads: 1, loadTimeout: 600_000, standby, standbyDelay: 0 });
    if (standby) await expect.poll(() => mod.stats.standby.ready, { timeout: 15_000 }).toBe(true);
    const marker = join(ws.dir, 'marker');
    ws.write('versioned.ts', ws.fixture(fixture).replace("'__MARKER__'", JSON.stringify(marker)));
    const cancel = new AbortController();
    const upgrading = mod.upgrade({ allowBreaking: true, signal: cancel.signal }).catch((error: unknown) => error);
    await expect.poll(() => existsSync(marker), { timeout: 20_000 }).toBe(true);
    const reason = new Error('deploy called off');
    cancel.abort(reason);
    expect(await upgrading).toBe(reason);
    expect(mod.version.id).toBe(1);
    expect(await mod.api.version()).toBe(1);
    expect(mod.stats.alive.map((alive) => alive.version.id)).toEqual([1]);
    expect(mod.closed).toBe(false);
  });

  it('a signal aborted before the upgrade runs: rejects at once, and the next upgrade takes the next id', async () => {
    const ws = workspace();
    const mod = await ws.hot<Versioned>(ws.copy('versioned.ts'), { threads: 1, standby: false });
    ws.write('versioned.ts', ws.fixture('versioned.ts').replace('VERSION = 1', 'VERSION = 2'));
    const reason = new Error('not now');
    await expect(mod.upgrade({ signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    // Aborted while it waited behind another upgrade: it starts nothing when its turn comes.
    const cancel = new AbortController();
    const first = mod.upgrade();
    const queued = mod.upgrade({ signal: cancel.signal });
    cancel.abort(reason);
    expect((await first).id).toBe(2);
    await expect(queued).rejects.toBe(reason);
    expect(mod.history.map((version) => version.id)).toEqual([1, 2]);
    await expect(mod.rollback({ signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(await mod.api.version()).toBe(2);
    expect((await mod.rollback({ signal: new AbortController().signal })).id).toBe(1);
  });

  it('refuses a signal that is not an AbortSignal', async () => {
    const ws = workspace();
    const mod = await ws.hot<Versioned>(ws.copy('versioned.ts'), { threads: 1, standby: false });
    await expect(mod.upgrade({ signal: 'stop' as never })).rejects.toMatchObject({ code: 'ERR_HOT_INVALID_OPTION', message: /`signal`/ });
    await expect(mod.rollback({ signal: {} as never })).rejects.toMatchObject({ code: 'ERR_HOT_INVALID_OPTION', message: /`signal`/ });
    await expect(mod.rollback({ when: 'now' } as never)).rejects.toMatchObject({
      code: 'ERR_HOT_INVALID_OPTION',
      message: /Unknown rollback option `when`/,
    });
  });
});
