import { HotError, type HotErrorCode, HotErrorCodes, type HotModule } from 'hotworker';
import { remote, rollback, rollout, startNode } from 'hotworker/fleet';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { gate } from './support/gate.js';
import { redisService, startRedis } from './support/redis.js';
import { type Workspace, workspace } from './support/workspace.js';

/** Each code, produced from a bad module or a bad call. */
const cases: Array<[HotErrorCode, (ws: Workspace) => Promise<unknown>]> = [
  ['ERR_HOT_BUILD', (ws) => ws.hot(ws.copy('syntax-error.ts'))],
  [
    'ERR_HOT_INCOMPATIBLE',
    async (ws) => {
      const mod = await ws.hot(ws.copy('versioned.ts'), { threads: 1 });
      ws.write('versioned.ts', 'export function other() {}');
      return mod.upgrade();
    },
  ],
  ['ERR_HOT_LOAD', (ws) => ws.hot(ws.copy('throws-at-load.ts'), { threads: 1 })],
  [
    'ERR_HOT_VERIFY',
    (ws) =>
      ws.hot<typeof import('./fixtures/always-throws.ts')>(ws.copy('always-throws.ts'), {
        threads: 1,
        verify: async (api) => {
          await api.version();
        },
      }),
  ],
  [
    'ERR_HOT_NO_EXPORT',
    async (ws) => {
      const mod = (await ws.hot(ws.copy('versioned.ts'), { threads: 1 })) as HotModule;
      return mod.call('__proto__');
    },
  ],
  [
    'ERR_HOT_CALL_TIMEOUT',
    async (ws) => {
      const mod = await ws.hot<typeof import('./fixtures/gate.ts')>(ws.copy('gate.ts'), { threads: 1, callTimeout: 20 });
      return mod.api.hold(gate().shared);
    },
  ],
  [
    'ERR_HOT_WORKER_EXIT',
    async (ws) => {
      const mod = await ws.hot<typeof import('./fixtures/gate.ts')>(ws.copy('gate.ts'), { threads: 1, drainTimeout: 1 });
      const held = gate();
      const call = mod.api.hold(held.shared);
      call.catch(() => undefined); // settled below; only mark it handled while the upgrade runs
      await held.entered(1);
      await mod.upgrade({ restart: true });
      return call;
    },
  ],
  [
    'ERR_HOT_CLONE',
    async (ws) => {
      const mod = await ws.hot<typeof import('./fixtures/unclonable.ts')>(ws.copy('unclonable.ts'), { threads: 1 });
      return mod.api.returnsFunction();
    },
  ],
  [
    'ERR_HOT_CLOSED',
    async (ws) => {
      const mod = await ws.hot(ws.copy('versioned.ts'), { threads: 1 });
      await mod.close();
      return mod.call('version');
    },
  ],
  [
    'ERR_HOT_NO_PREVIOUS',
    async (ws) => {
      const mod = await ws.hot(ws.copy('versioned.ts'), { threads: 1 });
      return mod.rollback();
    },
  ],
  [
    'ERR_HOT_STATE',
    async (ws) => {
      const mod = await ws.hot(ws.copy('cache.ts'), { threads: 1 });
      ws.write('cache.ts', ws.fixture('cache.ts').replace('importedFrom = from;', "throw new Error('unreadable');"));
      return mod.upgrade();
    },
  ],
  [
    'ERR_HOT_DISPOSE',
    async (ws) => {
      const mod = await ws.hot(
        ws.write('disposes.ts', "export function hotDispose() { throw new Error('x') }\nexport const v = () => 1;"),
        { threads: 1 },
      );
      const ended = new Promise<never>((_, reject) => mod.once('upgrade', (event) => reject(event.disposeError)));
      await mod.upgrade({ restart: true });
      return ended;
    },
  ],
  [
    'ERR_HOT_CANARY',
    async (ws) => {
      const mod = await ws.hot(ws.copy('rollout.ts'), { threads: 1 });
      // No calls reach the only step before maxStepMs, and onIdle fails it.
      return mod.upgrade({ restart: true, canary: { steps: [100], maxStepMs: 50, onIdle: 'fail' } });
    },
  ],
  ['ERR_HOT_INVALID_OPTION', (ws) => ws.hot(ws.copy('versioned.ts'), { threads: 0 })],
  [
    'ERR_HOT_ROLLOUT_BUSY',
    async (ws) => {
      const redis = await startRedis();
      ws.defer(() => redis.stop());
      const client = new Redis(redis.url);
      ws.defer(() => client.quit());
      await client.set('hotworker:fleet:jobs:rollout', 'another-rollout');
      return rollback({ redis: redis.url, queue: 'jobs' });
    },
  ],
  [
    'ERR_HOT_ROLLOUT_FAILED',
    async (ws) => {
      const redis = await startRedis();
      ws.defer(() => redis.stop());
      const entry = ws.copy('versioned.ts');
      const node = await startNode({ module: entry, redis: redis.url, queue: 'jobs', threads: 1, cacheDir: ws.cacheDir });
      ws.defer(() => node.close());
      ws.write('versioned.ts', `${ws.fixture('versioned.ts')}\nthrow new Error('broken at load');`);
      return rollout({ module: entry, redis: redis.url, queue: 'jobs', canaryJobs: 0, cacheDir: ws.cacheDir });
    },
  ],
  [
    'ERR_HOT_CALLBACK_SETTLED',
    async (ws) => {
      const mod = await ws.hot<typeof import('./fixtures/callbacks.ts')>(ws.copy('callbacks.ts'), { threads: 1 });
      await mod.api.keep(() => undefined);
      return mod.api.rethrowLate();
    },
  ],
  [
    'ERR_HOT_JOB_REMOVED',
    async (ws) => {
      const redis = await startRedis();
      ws.defer(() => redis.stop());
      const producer = remote({ queue: 'jobs', connection: redis.url });
      ws.defer(() => producer.close());
      // No node takes the job: it waits until removed.
      const call = producer.api.tile?.(1, 2) as Promise<unknown>;
      // Its rejection may come before remove() answers: handled from the start.
      call.catch(() => undefined);
      let job = (await producer.queue.getWaiting())[0];
      while (job === undefined) job = (await producer.queue.getWaiting())[0];
      await job.remove();
      return call;
    },
  ],
  [
    'ERR_HOT_QUEUE_FULL',
    async (ws) => {
      const mod = await ws.hot<typeof import('./fixtures/gate.ts')>(ws.copy('gate.ts'), { threads: 1, maxQueue: 0 });
      const held = gate();
      ws.defer(() => held.open());
      const busy = mod.api.hold(held.shared);
      await held.entered(1);
      const refused = mod.api.version();
      refused.catch(() => undefined);
      held.open();
      await busy;
      return refused;
    },
  ],
  [
    'ERR_HOT_CALL_KIND',
    async (ws) => {
      const mod = (await ws.hot(ws.copy('streams.ts'), { threads: 1 })) as HotModule;
      return mod.call('count', 3);
    },
  ],
];

/** Codes that need a real redis-server (see test/support/services.ts). */
const needsRedis = new Set<HotErrorCode>(['ERR_HOT_ROLLOUT_BUSY', 'ERR_HOT_ROLLOUT_FAILED', 'ERR_HOT_JOB_REMOVED']);
const runnable = cases.filter(([code]) => redisService.available || !needsRedis.has(code));

describe('error codes', () => {
  it('covers every code in the table', () => {
    expect(cases.map(([code]) => code).sort()).toEqual(Object.keys(HotErrorCodes).sort());
  });

  it.runIf(!redisService.available)('fleet codes need redis-server', () => redisService.missing());

  it.each(runnable)('%s', async (code, produce) => {
    const ws = workspace();
    const error = await produce(ws).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(HotError);
    expect(error).toMatchObject({ code, name: 'HotError' });
    expect((error as Error).message.length).toBeGreaterThan(20);
  });

  it('is recognised across copies of the package (Symbol.for brand)', () => {
    const foreign = Object.create(Object.getPrototypeOf(new HotError('ERR_HOT_BUILD', 'x')));
    expect(foreign).toBeInstanceOf(HotError);
    expect(HotError.is(new HotError('ERR_HOT_LOAD', 'x'), 'ERR_HOT_LOAD')).toBe(true);
    expect(HotError.is(new Error('x'))).toBe(false);
  });
});
