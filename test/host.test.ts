import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HotHost } from 'hotworker';
import { describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

describe('HotHost', () => {
  it('loads several modules with shared defaults and closes them together', async () => {
    const ws = workspace();
    const host = new HotHost({ cacheDir: ws.cacheDir, defaults: { threads: 1 } });
    ws.defer(() => host.close());
    const math = await host.load<typeof import('./fixtures/math.ts')>(ws.copy('math.ts'));
    const counter = await host.load<typeof import('./fixtures/counter.ts')>(ws.copy('counter.ts'), { threads: 2 });
    expect(host.cacheDir).toBe(ws.cacheDir);
    expect(host.modules.size).toBe(2);
    expect(math.stats.alive[0]?.threadIds).toHaveLength(1);
    expect(counter.stats.alive[0]?.threadIds).toHaveLength(2);
    expect(await math.api.add(1, 2)).toBe(3);

    await counter.close();
    expect(host.modules.size).toBe(1);
    await host.close();
    expect(math.closed).toBe(true);
    await expect(host.load(ws.copy('math.ts'))).rejects.toMatchObject({ code: 'ERR_HOT_CLOSED' });
  });

  it('resolves a relative cacheDir from the working directory', () => {
    expect(new HotHost({ cacheDir: 'cache-here' }).cacheDir).toBe(join(process.cwd(), 'cache-here'));
  });

  it('closes modules still loading when it closes, and resolves once they are closed', async () => {
    const ws = workspace();
    const resources = join(ws.dir, 'resources');
    mkdirSync(resources);
    process.env.HOTWORKER_TEST_RESOURCES = resources;
    ws.defer(() => delete process.env.HOTWORKER_TEST_RESOURCES);
    const host = new HotHost({ cacheDir: ws.cacheDir });
    const loading = host.load(ws.copy('resource.ts'), { threads: 1 });
    await host.close();
    // The module loaded (hotSetup opened its file) and was closed (hotDispose closed it) before close() resolved.
    const logs = readdirSync(resources).map((name) => readFileSync(join(resources, name), 'utf8'));
    expect(logs).toEqual(['open\nclosed\n']);
    await expect(loading).rejects.toMatchObject({ code: 'ERR_HOT_CLOSED' });
    expect(host.modules.size).toBe(0);
  });
});
