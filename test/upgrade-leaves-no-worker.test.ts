/**
 * The README's promise: `await upgrade()` resolves once no worker of the old version is left,
 * and a failed upgrade leaves no worker of the version it tried. Checked two ways: thread ids
 * from the pool and from the calls themselves (everywhere), and OS threads (Linux only).
 */
import type { HotModule } from 'hotworker';
import { describe, expect, it } from 'vitest';
import { gate } from './support/gate.js';
import { canCountThreads, osThreadCount, threadsAfterSettling } from './support/threads.js';
import { type Workspace, workspace } from './support/workspace.js';

type Held = typeof import('./fixtures/held-version.ts');

const threads = 2;

async function serving(ws: Workspace, options = {}): Promise<HotModule<Held>> {
  return ws.hot<Held>(ws.copy('held-version.ts', 'module.ts'), { threads, ...options });
}

function writeVersion(ws: Workspace, version: number): void {
  ws.write('module.ts', ws.fixture('held-version.ts').replace('VERSION = 1', `VERSION = ${version}`));
}

/** Thread ids that answer `count` calls: with every call held at once, each worker of the pool. */
async function threadsAnswering(mod: HotModule<Held>, count: number): Promise<Set<number>> {
  return new Set(await Promise.all(Array.from({ length: count }, () => mod.api.thread())));
}

describe('await upgrade() resolves with no worker of the old version left', () => {
  it('every call the old version accepted has settled, and none of its thread ids serves (portable)', async () => {
    const ws = workspace();
    const mod = await serving(ws);
    const oldThreads = new Set(mod.stats.alive[0]?.threadIds);
    expect(oldThreads.size).toBe(threads);
    const held = gate();
    ws.defer(() => held.open());
    const settled: boolean[] = [];
    const accepted = Array.from({ length: threads }, (_, index) =>
      mod.api.hold(held.shared).finally(() => {
        settled[index] = true;
      }),
    );
    await held.entered(threads);

    writeVersion(ws, 2);
    let upgraded = false;
    const upgrading = mod.upgrade().finally(() => {
      upgraded = true;
    });
    await expect.poll(() => mod.version.id, { timeout: 15_000 }).toBe(2);
    // Shifted, but the old version still holds its calls: the upgrade is not done.
    expect(upgraded).toBe(false);
    held.open();
    await upgrading;

    expect(settled).toEqual([true, true]);
    expect(await Promise.all(accepted)).toEqual([1, 1]);
    expect(mod.stats.alive).toHaveLength(1);
    const now = mod.stats.alive[0]?.threadIds ?? [];
    expect(now.filter((id) => oldThreads.has(id))).toEqual([]);
    const answering = await threadsAnswering(mod, 8);
    expect([...answering].filter((id) => oldThreads.has(id))).toEqual([]);
  });

  it.runIf(canCountThreads)('the OS threads of the old version are gone (Linux: /proc/self/task)', async () => {
    const ws = workspace();
    const mod = await serving(ws);
    const baseline = osThreadCount();
    for (const version of [2, 3, 4]) {
      writeVersion(ws, version);
      // Calls in flight across the shift, so the old pool has work to drain.
      const calls = Array.from({ length: 6 }, () => mod.api.version());
      await mod.upgrade();
      await Promise.all(calls);
      expect(await threadsAfterSettling(baseline), `after upgrade to ${version}`).toBeLessThanOrEqual(baseline);
    }
    expect(await mod.api.version()).toBe(4);
  });
});

/** Each way an upgrade can fail after its pool started: what replaces the module, options, and the code. */
const failures: Array<[string, (ws: Workspace) => void, Record<string, unknown>, string]> = [
  ['throws at load', (ws) => ws.write('module.ts', ws.fixture('throws-at-load.ts')), {}, 'ERR_HOT_LOAD'],
  ['exits at load', (ws) => ws.write('module.ts', ws.fixture('exits-at-load.ts')), {}, 'ERR_HOT_LOAD'],
  ['loops at load', (ws) => ws.write('module.ts', ws.fixture('loops-at-load.ts')), { loadTimeout: 1_500 }, 'ERR_HOT_LOAD'],
  ['loads but never answers', (ws) => ws.write('module.ts', ws.fixture('silent-after-load.ts')), { loadTimeout: 1_500 }, 'ERR_HOT_LOAD'],
  [
    'verify() rejects',
    (ws) => writeVersion(ws, 2),
    {
      verify: async (api: Held) => {
        if ((await api.version()) !== 1) throw new Error('not this one');
      },
    },
    'ERR_HOT_VERIFY',
  ],
  [
    'verify() never settles',
    (ws) => writeVersion(ws, 2),
    {
      loadTimeout: 1_500,
      verify: async (api: Held) => {
        if ((await api.version()) !== 1) await new Promise(() => {});
      },
    },
    'ERR_HOT_VERIFY',
  ],
];

describe('a failed upgrade leaves no worker of the version it tried', () => {
  it.each(failures)('%s: the old pool alone serves, same thread ids; on Linux no OS thread left', async (_, replace, options, code) => {
    const ws = workspace();
    const mod = await serving(ws, options);
    const before = mod.stats.alive[0]?.threadIds;
    const baseline = osThreadCount();
    replace(ws);
    await expect(mod.upgrade({ allowBreaking: true })).rejects.toMatchObject({ code });
    expect(mod.version.id).toBe(1);
    expect(mod.stats.alive.map((generation) => generation.threadIds)).toEqual([before]);
    if (canCountThreads) expect(await threadsAfterSettling(baseline)).toBeLessThanOrEqual(baseline);
    const answering = await threadsAnswering(mod, 8);
    expect([...answering].every((id) => before?.includes(id))).toBe(true);
  });
});
