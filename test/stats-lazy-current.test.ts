// module.stats: the current pool's figures are read when asked for. piscina summarises its whole
// run-time histogram to give `utilization`, and the readers of the other fields (the metrics of
// threads per version, the log line after an upgrade) must not pay for it on a busy host.
import { Piscina } from 'piscina';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { workspace } from './support/workspace.js';

type MathFixture = typeof import('./fixtures/math.ts');

afterEach(() => {
  vi.restoreAllMocks();
});

describe('module.stats', () => {
  it("reads the pool's utilization only when stats.current is read, and then as it is at that moment", async () => {
    const ws = workspace();
    const mod = await ws.hot<MathFixture>(ws.copy('math.ts'), { threads: 1 });
    const utilization = vi.spyOn(Piscina.prototype, 'utilization', 'get');
    const stats = mod.stats;
    expect(stats.alive.map((g) => g.version.id)).toEqual([1]);
    expect(stats.inFlight).toBe(0);
    expect(stats.standby).toHaveProperty('ready');
    expect(utilization).not.toHaveBeenCalled();
    const before = stats.current.completed;
    expect(utilization).toHaveBeenCalledTimes(1);
    expect(await mod.api.add(1, 2)).toBe(3);
    expect(stats.current.completed).toBe(before + 1);
    expect(JSON.parse(JSON.stringify(stats)).current).toMatchObject({ threads: 1, queued: 0 });
  });
});
