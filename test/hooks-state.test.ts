import type { HotModule } from 'hotworker';
import { describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

type Cache = typeof import('./fixtures/cache.ts');
type CacheV2 = typeof import('./fixtures/cache-v2.ts');

/** What every worker of the serving version holds: one call per worker, each held until all have arrived. */
function everyWorker(mod: HotModule<Cache>, workers: number) {
  const shared = new SharedArrayBuffer(4);
  return Promise.all(Array.from({ length: workers }, () => mod.api.worker(shared, workers)));
}

describe('hotExport / hotImport', () => {
  it('carries a cache across an upgrade into every new worker', async () => {
    const ws = workspace();
    const entry = ws.copy('cache.ts');
    const mod = await ws.hot<Cache>(entry, { threads: 1 });
    await mod.api.set('a', 1);
    await mod.api.set('b', 2);
    const from = mod.version;
    ws.write('cache.ts', ws.fixture('cache.ts').replace('VERSION = 1', 'VERSION = 2'));
    // One worker exported; both new workers imported.
    await mod.upgrade();
    expect(await mod.api.get('a')).toBe(1);
    expect(await mod.api.get('b')).toBe(2);
    expect(await everyWorker(mod, 1)).toMatchObject([{ version: 2, size: 2, importedFrom: { id: from.id, hash: from.hash } }]);
  });

  it('hands the state to every worker of the new version', async () => {
    const ws = workspace();
    const entry = ws.copy('cache.ts');
    const mod = await ws.hot<Cache>(entry, { threads: 3 });
    ws.write('cache.ts', ws.fixture('cache.ts').replace('VERSION = 1', 'VERSION = 2'));
    await mod.upgrade();
    const workers = await everyWorker(mod, 3);
    expect(new Set(workers.map((worker) => worker.threadId)).size).toBe(3);
    for (const worker of workers) expect(worker).toMatchObject({ version: 2, importedFrom: { id: 1 } });
  });

  it('lets hotImport take the previous state shape', async () => {
    const ws = workspace();
    const entry = ws.copy('cache.ts');
    const mod = (await ws.hot<Cache>(entry, { threads: 1 })) as unknown as HotModule<CacheV2>;
    await mod.api.set('a', 1);
    ws.write('cache.ts', ws.fixture('cache-v2.ts'));
    await mod.upgrade({ allowBreaking: true });
    expect(await mod.api.get('a')).toBe(1);
    expect(await mod.api.stamped('a')).toBe(true);
    await mod.api.set('b', 2);
    // Its own shape on the next upgrade.
    await mod.upgrade({ restart: true });
    expect(await mod.api.get('a')).toBe(1);
    expect(await mod.api.get('b')).toBe(2);
  });

  it('carries nothing without the hooks, and adding or dropping one is not a breaking change', async () => {
    const ws = workspace();
    const entry = ws.copy('cache.ts');
    const mod = await ws.hot<Cache>(entry, { threads: 1 });
    expect(mod.version.exports).not.toContain('hotExport');
    await mod.api.set('a', 1);
    ws.write('cache.ts', ws.fixture('cache.ts').replace(/export function (hot\w+)/g, 'function unused_$1'));
    await mod.upgrade();
    expect(await mod.api.get('a')).toBeNull();
  });

  it('never exposes a hook as a function', async () => {
    const ws = workspace();
    const mod = (await ws.hot(ws.copy('cache.ts'), { threads: 1 })) as HotModule;
    await expect(mod.call('hotExport')).rejects.toMatchObject({ code: 'ERR_HOT_NO_EXPORT' });
    await expect(mod.call('hotImport', [], {})).rejects.toMatchObject({ code: 'ERR_HOT_NO_EXPORT' });
    expect('hotExport' in mod.api).toBe(false);
  });

  it('a failing hotImport fails the upgrade with ERR_HOT_STATE and the old version keeps serving', async () => {
    const ws = workspace();
    const entry = ws.copy('cache.ts');
    const mod = await ws.hot<Cache>(entry, { threads: 1 });
    await mod.api.set('a', 1);
    const before = mod.version;
    ws.write(
      'cache.ts',
      ws
        .fixture('cache.ts')
        .replace('for (const [key, value] of state)', "throw new Error('cannot read this state');\n  for (const [key, value] of state)"),
    );
    await expect(mod.upgrade()).rejects.toMatchObject({
      code: 'ERR_HOT_STATE',
      message: expect.stringContaining('cannot read this state'),
    });
    expect(mod.version).toBe(before);
    expect(await mod.api.get('a')).toBe(1);
    expect(mod.stats.alive).toHaveLength(1);
  });

  it('a hotImport that never settles fails the upgrade at loadTimeout', async () => {
    const ws = workspace();
    const entry = ws.copy('cache.ts');
    const mod = await ws.hot<Cache>(entry, { threads: 1, loadTimeout: 1_000 });
    const before = mod.version;
    ws.write(
      'cache.ts',
      ws
        .fixture('cache.ts')
        .replace('for (const [key, value] of state)', 'await new Promise(() => {});\n  for (const [key, value] of state)')
        .replace('export function hotImport', 'export async function hotImport')
        .replace('): void {\n  for', '): Promise<void> {\n  for'),
    );
    await expect(mod.upgrade()).rejects.toMatchObject({ code: 'ERR_HOT_STATE', message: expect.stringContaining('loadTimeout') });
    expect(mod.version).toBe(before);
    expect(await mod.api.get('a')).toBeNull();
  });

  it('a failing hotExport fails the upgrade with ERR_HOT_STATE', async () => {
    const ws = workspace();
    const entry = ws.copy('cache.ts');
    const mod = await ws.hot<Cache>(entry, { threads: 1 });
    await mod.api.set('a', 1);
    // The running version's hotExport is the one asked: rewrite, restart into it, then upgrade.
    ws.write('cache.ts', ws.fixture('cache.ts').replace('return [...entries];', 'return [() => 1] as never;'));
    await mod.upgrade();
    await mod.api.set('a', 1);
    const before = mod.version;
    await expect(mod.upgrade({ restart: true })).rejects.toMatchObject({
      code: 'ERR_HOT_STATE',
      message: expect.stringContaining('hotExport()'),
    });
    expect(mod.version).toBe(before);
    expect(await mod.api.get('a')).toBe(1);
  });
});
