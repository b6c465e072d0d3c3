import { describe, expect, it } from 'vitest';
import { gate } from './support/gate.js';
import { canCountThreads, osThreadCount, threadsAfterSettling } from './support/threads.js';
import { workspace } from './support/workspace.js';

type Gated = typeof import('./fixtures/gate.ts');

describe('close', () => {
  it('finishes accepted calls, refuses later ones, then ends every worker', async () => {
    const ws = workspace();
    const threadsBefore = osThreadCount();
    const mod = await ws.hot<Gated>(ws.copy('gate.ts'), { threads: 2 });
    const held = gate();
    ws.defer(() => held.open());
    const accepted = [mod.api.hold(held.shared), mod.api.hold(held.shared), mod.api.hold(held.shared)];
    await held.entered(2);

    let closed = false;
    const closing = mod.close().then(() => {
      closed = true;
    });
    await expect(mod.api.version()).rejects.toMatchObject({ code: 'ERR_HOT_CLOSED' });
    await expect(mod.upgrade()).rejects.toMatchObject({ code: 'ERR_HOT_CLOSED' });
    expect(closed).toBe(false);

    held.open();
    expect(await Promise.all(accepted)).toEqual(['old', 'old', 'old']);
    await closing;
    expect(mod.closed).toBe(true);
    expect(mod.stats.alive).toEqual([]);
    if (canCountThreads) expect(await threadsAfterSettling(threadsBefore)).toBeLessThanOrEqual(threadsBefore);
  });

  it('is safe to call twice, and emits close once', async () => {
    const ws = workspace();
    const mod = await ws.hot<Gated>(ws.copy('gate.ts'), { threads: 1 });
    let closes = 0;
    mod.on('close', () => closes++);
    const first = mod.close();
    expect(mod.close()).toBe(first);
    await first;
    await mod.close();
    await mod.destroy();
    expect(closes).toBe(1);
  });

  it('destroy() cuts running calls off with ERR_HOT_WORKER_EXIT', async () => {
    const ws = workspace();
    const mod = await ws.hot<Gated>(ws.copy('gate.ts'), { threads: 1 });
    const held = gate();
    const call = mod.api.hold(held.shared).catch((error: unknown) => error);
    await held.entered(1);
    await mod.destroy();
    expect(await call).toMatchObject({ code: 'ERR_HOT_WORKER_EXIT' });
    expect(mod.stats.alive).toEqual([]);
  });

  it('supports await using', async () => {
    const ws = workspace();
    let closed = false;
    {
      await using mod = await ws.hot<Gated>(ws.copy('gate.ts'), { threads: 1 });
      mod.on('close', () => {
        closed = true;
      });
      expect(await mod.api.version()).toBe('old');
    }
    expect(closed).toBe(true);
  });
});
