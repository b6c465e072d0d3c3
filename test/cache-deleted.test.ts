import { once } from 'node:events';
import { existsSync, rmSync } from 'node:fs';
import type { CrashEvent } from 'hotworker';
import { describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

type Faults = typeof import('./fixtures/faults.ts');

describe('the cache directory deleted while serving', () => {
  it('a worker respawned after a crash writes its bundle back and serves', async () => {
    const ws = workspace();
    const mod = await ws.hot<Faults>(ws.copy('faults.ts'), { threads: 1 });
    rmSync(ws.cacheDir, { recursive: true, force: true });

    const crashed = once(mod, 'crash') as Promise<[CrashEvent]>;
    await expect(mod.api.exit(3)).rejects.toMatchObject({ code: 'ERR_HOT_WORKER_EXIT', exitCode: 3 });
    await crashed;
    expect(await mod.api.echo('still serving')).toBe('still serving');
    expect(existsSync(ws.cacheDir)).toBe(true);
  });

  it('a rollback to a version whose bundle was deleted loads from the kept bytes', async () => {
    const ws = workspace();
    const entry = ws.copy('faults.ts');
    const mod = await ws.hot<Faults>(entry, { threads: 1 });
    ws.write('faults.ts', `${ws.fixture('faults.ts')}\nexport const changed = 1;\n`);
    await mod.upgrade();
    rmSync(ws.cacheDir, { recursive: true, force: true });

    expect(await mod.rollback()).toMatchObject({ id: 1 });
    expect(await mod.api.echo('rolled back')).toBe('rolled back');
  });
});
