// standbyDelay: how long after the module opens (or shifts) the standby set begins to boot.
// The boot is a timer: with 0 it fires before a timer of 1 ms set after the module opened; with
// the default (2 s) it has not.
import { describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

const aTick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe('standbyDelay', () => {
  it('0 boots the standby set right after the module opens; the default waits', async () => {
    const ws = workspace();
    const now = await ws.hot(ws.copy('faults.ts'), { threads: 2, standbyDelay: 0 });
    const later = await ws.hot(ws.copy('versioned.ts'), { threads: 2 });
    await aTick();
    expect(now.stats.standby.threadIds).toHaveLength(2);
    expect(later.stats.standby.threadIds).toEqual([]);
    await expect.poll(() => now.stats.standby.ready, { timeout: 15_000 }).toBe(true);
  });

  it.each([-1, 1.5, '100', 2 ** 31])('refuses standbyDelay %s', async (value) => {
    const ws = workspace();
    await expect(ws.hot(ws.copy('faults.ts'), { standbyDelay: value as number })).rejects.toMatchObject({
      code: 'ERR_HOT_INVALID_OPTION',
      message: expect.stringContaining('`standbyDelay`'),
    });
  });
});
