import { describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

type Counter = typeof import('./fixtures/counter.ts');

describe('module state after an upgrade', () => {
  it('starts fresh: the counter restarts and every answering thread is new', async () => {
    const ws = workspace();
    const entry = ws.copy('counter.ts');
    const mod = await ws.hot<Counter>(entry, { threads: 2 });
    for (let i = 0; i < 10; i++) await mod.api.next();
    const oldThreads = new Set(mod.stats.alive.flatMap((generation) => generation.threadIds));
    expect(oldThreads.size).toBe(2);

    ws.write('counter.ts', `${ws.fixture('counter.ts')}\nexport const edition = 2;\n`);
    await mod.upgrade();

    expect(await mod.api.next()).toBe(1);
    const answering = new Set(await Promise.all(Array.from({ length: 20 }, () => mod.api.thread())));
    for (const thread of answering) expect(oldThreads.has(thread)).toBe(false);
    // Only the new generation is alive once upgrade() resolved.
    expect(mod.stats.alive).toHaveLength(1);
    expect(mod.stats.alive[0]?.threadIds.some((id) => oldThreads.has(id))).toBe(false);
  });
});
