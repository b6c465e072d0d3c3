// 'crash' reaches the module's listeners from every version it serves, not only the first:
// a worker of a version started by upgrade() that dies on its own is reported with that version.
import { once } from 'node:events';
import type { CrashEvent } from 'hotworker';
import { describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

type Faults = typeof import('./fixtures/faults.ts');

describe('a crash in a version started by upgrade()', () => {
  it('a crash event naming the new version', async () => {
    const ws = workspace();
    const mod = await ws.hot<Faults>(ws.copy('faults.ts'), { threads: 1, standby: false });
    ws.write('faults.ts', `${ws.fixture('faults.ts')}\nexport const edition = 2;\n`);
    await mod.upgrade();
    const crashed = once(mod, 'crash') as Promise<[CrashEvent]>;
    expect(await mod.api.leaveBomb('late boom in v2')).toBe('armed');
    const [event] = await crashed;
    expect(event.version.id).toBe(2);
    expect(event.error).toMatchObject({ code: 'ERR_HOT_WORKER_EXIT', version: 2, cause: { message: 'late boom in v2' } });
    expect(await mod.api.echo('still serving')).toBe('still serving');
  });
});
