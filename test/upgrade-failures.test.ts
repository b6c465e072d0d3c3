import { type HotModule, hot } from 'hotworker';
import { describe, expect, it } from 'vitest';
import { canCountThreads, osThreadCount, threadsAfterSettling } from './support/threads.js';
import { type Workspace, workspace } from './support/workspace.js';

type Versioned = typeof import('./fixtures/versioned.ts');

/**
 * Each bad new version: the fixture that replaces the module, the code, and what the message
 * must name. The fixtures export other names than the module they replace, so the upgrades
 * below pass `allowBreaking` to reach the load step; the export check has its own row.
 */
const badVersions: Array<[string, string, string, RegExp]> = [
  ['a syntax error', 'syntax-error.ts', 'ERR_HOT_BUILD', /versioned\.ts:3:\d+/],
  ['a missing import', 'missing-import.ts', 'ERR_HOT_BUILD', /does-not-exist\.ts/],
  ['a module that throws at load', 'throws-at-load.ts', 'ERR_HOT_LOAD', /boom at load/],
  ['a module that loops forever at load', 'loops-at-load.ts', 'ERR_HOT_LOAD', /`loadTimeout` \(2000 ms\)/],
  ['a module that exits at load', 'exits-at-load.ts', 'ERR_HOT_LOAD', /exited with code 3/],
  ['a module missing an export in use', 'math.ts', 'ERR_HOT_INCOMPATIBLE', /no longer exports VERSION, echo, version/],
];

/**
 * Only a module that never finishes loading should meet loadTimeout; the others get the
 * default, so a slow worker start on a busy machine is not mistaken for a hang. The limit
 * also holds for the first version's two workers, which must boot within it: 500 ms was
 * too short on a loaded 2-core machine (v1 failed to open, "1 of 2 workers ready").
 */
function loadTimeoutFor(fixture: string): number {
  return fixture === 'loops-at-load.ts' ? 2_000 : 10_000;
}

async function serving(ws: Workspace, options = {}): Promise<HotModule<Versioned>> {
  return ws.hot<Versioned>(ws.copy('versioned.ts'), { threads: 2, ...options });
}

describe('a failed upgrade leaves the old version serving, untouched', () => {
  it.each(badVersions)('%s', async (_, fixture, code, message) => {
    const ws = workspace();
    const mod = await serving(ws, { loadTimeout: loadTimeoutFor(fixture) });
    const before = mod.version;
    const threads = mod.stats.alive[0]?.threadIds;
    let upgrades = 0;
    mod.on('upgrade', () => upgrades++);

    ws.write('versioned.ts', ws.fixture(fixture));
    const allowBreaking = code !== 'ERR_HOT_INCOMPATIBLE';
    const error = await mod.upgrade({ allowBreaking }).catch((caught: unknown) => caught);

    expect(error).toMatchObject({ code });
    expect((error as Error).message).toMatch(message);
    expect(mod.version).toBe(before);
    expect(mod.history).toEqual([before]);
    expect(upgrades).toBe(0);
    expect(await mod.api.version()).toBe(1);
    expect(mod.stats.alive).toHaveLength(1);
    expect(mod.stats.alive[0]?.threadIds).toEqual(threads);
  });

  it('names what is missing and the option that allows it when a version drops an export in use', async () => {
    const ws = workspace();
    const mod = await serving(ws);
    ws.write('versioned.ts', ws.fixture('versioned.ts').replace('export function echo', 'function echo'));
    await expect(mod.upgrade()).rejects.toMatchObject({
      code: 'ERR_HOT_INCOMPATIBLE',
      missing: ['echo'],
      version: 1,
      option: 'allowBreaking',
    });
  });

  it('keeps the cause of a load failure: the module’s own error', async () => {
    const ws = workspace();
    const mod = await serving(ws);
    ws.write('versioned.ts', ws.fixture('throws-at-load.ts'));
    const error = (await mod.upgrade({ allowBreaking: true }).catch((caught: unknown) => caught)) as Error;
    expect(error.cause).toBeInstanceOf(RangeError);
    expect(error.cause).toMatchObject({ message: 'boom at load' });
  });

  it('fails verify() without shifting, and upgrades once the module is fixed', async () => {
    const ws = workspace();
    const mod = await serving(ws, {
      verify: async (api: { version(): Promise<number> }) => {
        if ((await api.version()) < 1) throw new Error('version went backwards');
      },
    });
    ws.write('versioned.ts', ws.fixture('always-throws.ts'));
    const error = (await mod.upgrade({ allowBreaking: true }).catch((caught: unknown) => caught)) as Error;
    expect(error).toMatchObject({ code: 'ERR_HOT_VERIFY', cause: { message: 'broken release' } });
    expect(await mod.api.version()).toBe(1);

    ws.write('versioned.ts', ws.fixture('versioned.ts').replace('VERSION = 1', 'VERSION = 2'));
    await mod.upgrade();
    expect(await mod.api.version()).toBe(2);
  });

  it('upgrades a module missing an export when allowBreaking is set', async () => {
    const ws = workspace();
    const mod = (await serving(ws)) as unknown as HotModule;
    ws.write('versioned.ts', ws.fixture('math.ts'));
    const error = await mod.upgrade().catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'ERR_HOT_INCOMPATIBLE', missing: ['VERSION', 'echo', 'version'] });
    await mod.upgrade({ allowBreaking: true });
    expect(await mod.call('add', 1, 2)).toBe(3);
    await expect(mod.call('version')).rejects.toMatchObject({ code: 'ERR_HOT_NO_EXPORT' });
  });

  it('rejects the first load the same way, leaving no worker behind', async () => {
    const ws = workspace();
    const threadsBefore = osThreadCount();
    for (const [fixture, code] of [
      ['syntax-error.ts', 'ERR_HOT_BUILD'],
      ['throws-at-load.ts', 'ERR_HOT_LOAD'],
      ['loops-at-load.ts', 'ERR_HOT_LOAD'],
      ['exits-at-load.ts', 'ERR_HOT_LOAD'],
      ['does-not-exist.ts', 'ERR_HOT_BUILD'],
    ]) {
      const entry = fixture === 'does-not-exist.ts' ? `${ws.dir}/${fixture}` : ws.copy(fixture as string);
      const loadTimeout = loadTimeoutFor(fixture as string);
      await expect(hot(entry, { threads: 1, loadTimeout, cacheDir: ws.cacheDir }), fixture).rejects.toMatchObject({ code });
    }
    if (canCountThreads) expect(await threadsAfterSettling(threadsBefore)).toBeLessThanOrEqual(threadsBefore);
  });
});
