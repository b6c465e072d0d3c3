import type { CanaryEvent, UpgradeEvent } from 'hotworker';
import { describe, expect, it } from 'vitest';
import { rolloutSource, traffic } from './support/traffic.js';
import { workspace } from './support/workspace.js';

type Rollout = typeof import('./fixtures/rollout.ts');

async function open(constants: Parameters<typeof rolloutSource>[1] = {}) {
  const ws = workspace();
  const entry = ws.write('rollout.ts', rolloutSource(ws.fixture('rollout.ts'), constants));
  const mod = await ws.hot<Rollout>(entry, { threads: 2 });
  const events: CanaryEvent[] = [];
  mod.on('canary', (event) => events.push(event));
  const next = (next: Parameters<typeof rolloutSource>[1]) => ws.write('rollout.ts', rolloutSource(ws.fixture('rollout.ts'), next));
  return { ws, mod, events, next };
}

describe('canary upgrades', () => {
  it('walks a good version through every step, then shifts fully', async () => {
    const { mod, events, next } = await open();
    next({ VERSION: 2 });
    const load = traffic(() => mod.api.work(), 4);
    const upgraded = new Promise<UpgradeEvent>((resolve) => mod.once('upgrade', resolve));
    // Latency is not what this test is about: the slow-version test checks it.
    const version = await mod.upgrade({ canary: { steps: [10, 50, 100], minCalls: 30, maxLatencyRatio: Number.POSITIVE_INFINITY } });
    const outcomes = await load.stop();

    expect(version.id).toBe(2);
    expect(events.map(({ step, share, passed }) => ({ step, share, passed }))).toEqual([
      { step: 1, share: 10, passed: true },
      { step: 2, share: 50, passed: true },
      { step: 3, share: 100, passed: true },
    ]);
    for (const event of events) expect(event.figures).toMatchObject({ errors: 0, errorRate: 0, calls: expect.any(Number) });
    for (const event of events) expect(event.figures.calls).toBeGreaterThanOrEqual(30);
    // Both versions served during the canary; nobody saw an error.
    expect(outcomes.filter((outcome) => 'error' in outcome)).toEqual([]);
    expect(new Set(outcomes.map((outcome) => outcome.value))).toEqual(new Set([1, 2]));
    expect(await upgraded).toMatchObject({ from: { id: 1 }, to: { id: 2 } });
    expect(mod.rollout).toBeUndefined();
    expect(mod.stats.alive.map((alive) => alive.version.id)).toEqual([2]);
  });

  it('rolls back a version failing 5% of calls with host errors at the first step', async () => {
    const { mod, events, next } = await open();
    next({ VERSION: 2, FAIL_EVERY: 20 });
    const load = traffic(() => mod.api.work(), 4);
    const failed = await mod.upgrade({ canary: { minCalls: 100, maxErrorRate: 0.01 } }).then(
      () => undefined,
      (error: unknown) => error,
    );
    const outcomes = await load.stop();

    expect(failed).toMatchObject({ code: 'ERR_HOT_CANARY', version: 2, message: expect.stringContaining('step 1 (5%)') });
    expect((failed as { figures: { errorRate: number } }).figures.errorRate).toBeGreaterThan(0.01);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ step: 1, share: 5, passed: false, reason: 'errorRate' });
    // Callers saw only the errors the new version itself produced.
    const errors = outcomes.flatMap((outcome) => ('error' in outcome ? [outcome.error] : []));
    expect(errors.length).toBeGreaterThan(0);
    for (const error of errors) expect(error).toMatchObject({ code: 'ERR_HOT_CLONE', version: 2 });
    expect(mod.version.id).toBe(1);
    expect(mod.history.map((version) => version.id)).toEqual([1]);
    expect(await mod.api.work()).toBe(1);
    expect(mod.stats.alive.map((alive) => alive.version.id)).toEqual([1]);
  });

  it("counts the module's own errors only with countUserErrors", async () => {
    const { mod, events, next } = await open();
    next({ VERSION: 2 });
    // Every call throws the module's own error. (A reject then a work() in each lane once let the
    // second canary pass: at 50 % the router sends every other call to the canary, and the two
    // lanes could fall into step so that only the work() calls went there.)
    const load = traffic(() => mod.api.reject(), 2);
    // Sub-millisecond calls: their p99 is the machine's noise, so only errors are judged here.
    const limits = { steps: [50, 100], minCalls: 10, maxLatencyRatio: Number.POSITIVE_INFINITY };
    await mod.upgrade({ canary: limits });
    next({ VERSION: 3 });
    await expect(mod.upgrade({ canary: { ...limits, countUserErrors: true } })).rejects.toMatchObject({
      code: 'ERR_HOT_CANARY',
    });
    await load.stop();
    expect(events.map(({ to, passed }) => [to.id, passed])).toEqual([
      [2, true],
      [2, true],
      [3, false],
    ]);
    expect(mod.version.id).toBe(2);
  });

  it('rolls back a 6x slower version on p99 latency', async () => {
    // Sleeps long enough that the machine's own hiccups stay well inside the margin: with the
    // limit at 1.5x, an old call would have to stall by more than 150 ms to hide the new
    // version's slowness (at 3x slower, 50 ms was enough on a loaded machine).
    const { mod, events, next } = await open({ DELAY_MS: 50 });
    next({ VERSION: 2, DELAY_MS: 300 });
    // No more calls than threads: the latency measured is the version's, not a queue's.
    const load = traffic(() => mod.api.work(), 2);
    await expect(mod.upgrade({ canary: { steps: [50, 100], minCalls: 20, maxLatencyRatio: 1.5 } })).rejects.toMatchObject({
      code: 'ERR_HOT_CANARY',
      figures: { errors: 0, latencyRatio: expect.any(Number) },
    });
    await load.stop();
    // Judged on a handful of calls, a step's p99 is close to its slowest call: on a loaded
    // machine one stalled call of the old version can let the first step pass. The second
    // step, all calls on the new version against the old one's figures, still catches it.
    expect(events.at(-1)).toMatchObject({ passed: false, reason: 'latency' });
    expect(mod.version.id).toBe(1);
  });

  it('close() during a canary rolls back and closes', async () => {
    const { mod, next } = await open();
    next({ VERSION: 2 });
    // No traffic: the first step waits for calls.
    const upgrading = mod.upgrade({ canary: { steps: [50, 100], minCalls: 1_000 } });
    upgrading.catch(() => undefined);
    await expect.poll(() => mod.rollout?.kind, { timeout: 10_000 }).toBe('canary');
    expect(mod.rollout).toMatchObject({ kind: 'canary', from: { id: 1 }, to: { id: 2 }, step: 1, share: 50, steps: [50, 100] });
    expect(mod.stats.alive).toHaveLength(2);
    await mod.close();
    await expect(upgrading).rejects.toMatchObject({ code: 'ERR_HOT_CLOSED' });
    expect(mod.stats.alive).toEqual([]);
  });

  it('an upgrade or rollback requested during a canary waits for it', async () => {
    const { mod, events, next } = await open();
    next({ VERSION: 2 });
    const canary = mod.upgrade({ canary: { steps: [50, 100], minCalls: 20, maxLatencyRatio: Number.POSITIVE_INFINITY } });
    await expect.poll(() => mod.rollout?.kind, { timeout: 10_000 }).toBe('canary');
    next({ VERSION: 3 });
    const order: string[] = [];
    const plain = mod.upgrade().then((version) => order.push(`upgrade ${version.id}`));
    const back = mod.rollback().then((version) => order.push(`rollback ${version.id}`));
    void canary.then(
      (version) => order.push(`canary ${version.id}`),
      (error: unknown) => order.push(`canary failed: ${error}`),
    );
    // Nothing moved while the canary's first step waits for calls.
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual([]);
    const load = traffic(() => mod.api.work(), 4);
    await Promise.all([canary, plain, back]);
    await load.stop();
    expect(order).toEqual(['canary 2', 'upgrade 3', 'rollback 2']);
    expect(events.map((event) => event.passed)).toEqual([true, true]);
  });

  it('validates its options', async () => {
    const { mod } = await open();
    const cases: [unknown, RegExp][] = [
      [{ steps: [50, 25, 100] }, /canary.steps/],
      [{ steps: [5, 50] }, /ending at 100/],
      [{ steps: 'x' }, /canary.steps/],
      [{ steps: { length: 1, 0: 100 } }, /canary.steps/],
      [{ minCalls: 0 }, /canary.minCalls/],
      [{ maxErrorRate: 2 }, /canary.maxErrorRate/],
      [{ maxLatencyRatio: 0.5 }, /canary.maxLatencyRatio/],
      [{ onIdle: 'maybe' }, /canary.onIdle/],
      [{ stepz: [100] }, /Unknown canary option `stepz`/],
    ];
    for (const [canary, message] of cases) {
      await expect(mod.upgrade({ canary } as never)).rejects.toMatchObject({
        code: 'ERR_HOT_INVALID_OPTION',
        message: expect.stringMatching(message),
      });
    }
    await expect(mod.upgrade({ canary: true, rollbackOn: { errorRate: 0.1 } })).rejects.toMatchObject({ code: 'ERR_HOT_INVALID_OPTION' });
  });
});
