import { afterEach, describe, expect, it } from 'vitest';
import { gate } from './support/gate.js';
import { workspace } from './support/workspace.js';

type Callbacks = typeof import('./fixtures/callbacks.ts');

/** Open MessagePorts of this process: every callback channel a call leaves open shows here. */
const ports = () => process.getActiveResourcesInfo().filter((name) => name === 'MessagePort').length;
/** Listeners on the process: nothing of a call may stay registered there. */
const processListeners = () => process.eventNames().reduce((sum, name) => sum + process.listenerCount(name), 0);

const released: Array<() => void> = [];
afterEach(() => {
  for (const release of released.splice(0)) release();
});

describe('callback channels close when the call settles', () => {
  it('3,000 calls with callbacks leave no port, handle or listener open', async () => {
    const ws = workspace();
    const mod = await ws.hot<Callbacks>(ws.copy('callbacks.ts'), { threads: 2, standbyDelay: 0 });
    // Taken before any callback: a channel's port leaves the list a moment after it closes.
    await mod.api.version();
    // Standby workers hold a port while they boot: count from the steady state.
    await expect.poll(() => mod.stats.standby.ready, { timeout: 15_000 }).toBe(true);
    const baseline = { ports: ports(), resources: process.getActiveResourcesInfo().length, listeners: processListeners() };
    const moduleListeners = mod.eventNames().length;
    let invoked = 0;
    for (let batch = 0; batch < 30; batch++) {
      const calls = Array.from({ length: 100 }, (_, i) =>
        mod.api.render(1, {
          label: String(i),
          onProgress: () => {
            invoked++;
          },
        }),
      );
      await Promise.all(calls);
    }
    expect(invoked).toBe(3_000);
    await expect.poll(ports, { timeout: 5_000 }).toBe(baseline.ports);
    await expect.poll(() => process.getActiveResourcesInfo().length, { timeout: 5_000 }).toBe(baseline.resources);
    expect(processListeners()).toBe(baseline.listeners);
    expect(mod.eventNames().length).toBe(moduleListeners);
  });

  it('closes on a result, an error, a timeout, an abort, a worker exit and an upgrade drain', async () => {
    const ws = workspace();
    const mod = await ws.hot<Callbacks>(ws.copy('callbacks.ts'), { threads: 1, drainTimeout: 50, standbyDelay: 0 });
    mod.on('crash', () => undefined);
    await mod.api.version();
    // Standby workers hold a port while they boot: count from the steady state.
    await expect.poll(() => mod.stats.standby.ready, { timeout: 15_000 }).toBe(true);
    const baseline = ports();
    // piscina's own port of a worker counts too: compare once a replacement worker has answered.
    const closed = async () => {
      await mod.api.version();
      await expect.poll(ports, { timeout: 5_000 }).toBe(baseline);
    };
    const settle = async (call: () => Promise<unknown>) => {
      await call().catch(() => undefined);
      await closed();
    };

    await settle(() => mod.api.render(2, { label: 'ok', onProgress: () => undefined }));
    await settle(() =>
      mod.api.rethrow(() => {
        throw new Error('error path');
      }),
    );
    await settle(() => mod.api.throwsAtOnce(() => Promise.resolve()));

    const timedOut = gate();
    released.push(() => timedOut.open());
    const timeout = mod.run('holdWith', [timedOut.shared, () => undefined], { timeout: 100 });
    await timedOut.entered(1);
    expect(ports()).toBeGreaterThan(baseline);
    await expect(timeout).rejects.toMatchObject({ code: 'ERR_HOT_CALL_TIMEOUT' });
    await closed();

    const aborted = gate();
    released.push(() => aborted.open());
    const controller = new AbortController();
    const abort = mod.run('holdWith', [aborted.shared, () => undefined], { signal: controller.signal });
    await aborted.entered(1);
    controller.abort(new Error('caller gave up'));
    await expect(abort).rejects.toThrow('caller gave up');
    await closed();

    // Aborted while queued behind a held call: the worker never saw its channel; the host closes it.
    const busy = gate();
    released.push(() => busy.open());
    const holding = mod.api.holdWith(busy.shared, () => undefined);
    await busy.entered(1);
    const queued = new AbortController();
    const dropped = mod.run('render', [1, { label: 'queued', onProgress: () => undefined }], { signal: queued.signal });
    queued.abort(new Error('dropped while queued'));
    await expect(dropped).rejects.toThrow('dropped while queued');
    busy.open();
    await holding;
    await closed();

    await expect(mod.api.exitAfter(() => undefined)).rejects.toMatchObject({ code: 'ERR_HOT_WORKER_EXIT' });
    await closed();

    const drained = gate();
    released.push(() => drained.open());
    const held = mod.api.holdWith(drained.shared, () => undefined);
    held.catch(() => undefined);
    await drained.entered(1);
    await mod.upgrade({ restart: true });
    await expect(held).rejects.toMatchObject({ code: 'ERR_HOT_WORKER_EXIT' });
    await closed();
  });
});
