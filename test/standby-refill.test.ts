// A standby set is handed one version, whether it loads or not: after an upgrade that failed on
// the standby threads, a new set boots for the next upgrade, on threads that never ran the
// failed version.
import type { HotModule, UpgradeEvent } from 'hotworker';
import { describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

type Faults = typeof import('./fixtures/faults.ts');

async function standbyReady(mod: HotModule<Faults>): Promise<number[]> {
  await expect.poll(() => mod.stats.standby.ready, { timeout: 15_000 }).toBe(true);
  return mod.stats.standby.threadIds;
}

describe('standby workers after a failed upgrade', () => {
  it('a version that throws at load uses up the standby set; a new set boots and takes the next upgrade', async () => {
    const ws = workspace();
    const mod = await ws.hot<Faults>(ws.copy('faults.ts'), { threads: 1, standbyDelay: 0 });
    const used = await standbyReady(mod);
    ws.write('faults.ts', `${ws.fixture('faults.ts')}\nthrow new RangeError('boom at load');\n`);
    await expect(mod.upgrade()).rejects.toMatchObject({ code: 'ERR_HOT_LOAD', cause: { message: 'boom at load' } });
    // The threads that loaded the failed version are gone with it; none is standing by for the next.
    expect(mod.stats.standby.threadIds).toEqual([]);

    const fresh = await standbyReady(mod);
    for (const id of fresh) expect(used).not.toContain(id);
    ws.write('faults.ts', `${ws.fixture('faults.ts')}\nexport const edition = 2;\n`);
    const upgraded = new Promise<UpgradeEvent>((resolve) => mod.once('upgrade', resolve));
    expect((await mod.upgrade()).id).toBe(2);
    expect((await upgraded).standby).toBe(true);
    expect(mod.stats.alive[0]?.threadIds).toEqual(fresh);
  });
});
