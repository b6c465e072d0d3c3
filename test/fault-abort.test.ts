import { describe, expect, it } from 'vitest';
import { gate } from './support/gate.js';
import { workspace } from './support/workspace.js';

type Faults = typeof import('./fixtures/faults.ts');
type Gated = typeof import('./fixtures/gate.ts');

describe('AbortSignal', () => {
  it('removes a queued call, which rejects with the reason; the running call is untouched', async () => {
    const ws = workspace();
    const mod = await ws.hot<Gated>(ws.copy('gate.ts'), { threads: 1 });
    const held = gate();
    ws.defer(() => held.open());
    const running = mod.api.hold(held.shared);
    await held.entered(1);
    const controller = new AbortController();
    const queued = mod.run('version', [], { signal: controller.signal }).catch((error: unknown) => error);
    const reason = new Error('caller gave up');
    controller.abort(reason);

    expect(await queued).toBe(reason);
    held.open();
    expect(await running).toBe('old');
    expect(await mod.api.version()).toBe('old');
  });

  it('terminates and replaces the worker of a running call', async () => {
    const ws = workspace();
    const mod = await ws.hot<Faults>(ws.copy('faults.ts'), { threads: 1 });
    const [before] = mod.stats.alive[0]?.threadIds ?? [];
    const controller = new AbortController();
    const spinning = mod.run('spin', [], { signal: controller.signal }).catch((error: unknown) => error);
    await expect.poll(() => mod.stats.current.utilization > 0 || mod.stats.inFlight === 1, { timeout: 5_000 }).toBe(true);
    controller.abort();

    expect(await spinning).toMatchObject({ name: 'AbortError' });
    const after = await mod.api.thread();
    expect(after).not.toBe(before);
  });

  it('rejects at once when the signal is already aborted', async () => {
    const ws = workspace();
    const mod = await ws.hot<Faults>(ws.copy('faults.ts'), { threads: 1 });
    const reason = new Error('too late');
    await expect(mod.run('echo', [1], { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(mod.stats.inFlight).toBe(0);
  });
});
