import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { UpgradeEvent } from 'hotworker';
import { describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

type Resource = typeof import('./fixtures/resource.ts');

/** The files this process (every worker thread included) holds open under `dir`. */
function openFilesUnder(dir: string): string[] {
  const open: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(dir)) open.push(target);
    } catch {
      // The fd closed while we looked.
    }
  }
  return open.sort();
}

function logs(dir: string, version: number): string[] {
  return readdirSync(dir)
    .filter((name) => name.startsWith(`v${version}-`))
    .map((name) => readFileSync(join(dir, name), 'utf8'));
}

describe.runIf(process.platform === 'linux')('hotSetup / hotDispose', () => {
  it('opens a file in every worker before it serves and closes it in every worker of each ending version', async () => {
    const ws = workspace();
    process.env.HOTWORKER_TEST_RESOURCES = ws.dir;
    ws.defer(() => delete process.env.HOTWORKER_TEST_RESOURCES);
    const entry = ws.copy('resource.ts');
    const mod = await ws.hot<Resource>(entry, { threads: 2 });
    expect(await mod.api.isOpen()).toBe(true);
    expect(logs(ws.dir, 1)).toEqual(['open\n', 'open\n']);
    expect(openFilesUnder(ws.dir)).toHaveLength(2);

    const events: UpgradeEvent[] = [];
    mod.on('upgrade', (event) => events.push(event));
    ws.write('resource.ts', ws.fixture('resource.ts').replace('VERSION = 1', 'VERSION = 2'));
    await mod.upgrade();
    expect(logs(ws.dir, 1)).toEqual(['open\nclosed\n', 'open\nclosed\n']);
    expect(logs(ws.dir, 2)).toEqual(['open\n', 'open\n']);
    expect(openFilesUnder(ws.dir).every((path) => path.includes('/v2-'))).toBe(true);
    expect(events[0]?.disposeError).toBeUndefined();

    await mod.close();
    expect(logs(ws.dir, 2)).toEqual(['open\nclosed\n', 'open\nclosed\n']);
    expect(openFilesUnder(ws.dir)).toEqual([]);
  });

  it('a failing hotSetup fails the upgrade with ERR_HOT_LOAD and the old version keeps serving', async () => {
    const ws = workspace();
    process.env.HOTWORKER_TEST_RESOURCES = ws.dir;
    ws.defer(() => delete process.env.HOTWORKER_TEST_RESOURCES);
    const entry = ws.copy('resource.ts');
    const mod = await ws.hot<Resource>(entry, { threads: 1 });
    const before = mod.version;
    ws.write('resource.ts', ws.fixture('resource.ts').replace('fd = openSync(', "throw new Error('no such database');\n  fd = openSync("));
    await expect(mod.upgrade()).rejects.toMatchObject({
      code: 'ERR_HOT_LOAD',
      message: expect.stringContaining('hotSetup() failed: no such database'),
    });
    expect(mod.version).toBe(before);
    expect(await mod.api.isOpen()).toBe(true);
    expect(logs(ws.dir, 1)).toEqual(['open\n']);
  });

  it('reports a failing hotDispose in the upgrade event and ends the version anyway', async () => {
    const ws = workspace();
    process.env.HOTWORKER_TEST_RESOURCES = ws.dir;
    ws.defer(() => delete process.env.HOTWORKER_TEST_RESOURCES);
    ws.write('resource.ts', ws.fixture('resource.ts').replace("writeSync(fd, 'closed\\n');", "throw new Error('flush failed');"));
    const mod = await ws.hot<Resource>(join(ws.dir, 'resource.ts'), { threads: 1 });
    const ended = new Promise<UpgradeEvent>((resolve) => mod.once('upgrade', resolve));
    ws.write('resource.ts', ws.fixture('resource.ts').replace('VERSION = 1', 'VERSION = 2'));
    await mod.upgrade();
    expect((await ended).disposeError).toMatchObject({ code: 'ERR_HOT_DISPOSE', message: expect.stringContaining('flush failed') });
    expect(mod.stats.alive).toHaveLength(1);
    expect(await mod.api.isOpen()).toBe(true);
  });
});
