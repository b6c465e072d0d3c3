// After a shift, the old version's workers are ended one turn of the event loop later, not in
// the same turn: ending threads holds the calling thread for a while, and the calls that
// arrived meanwhile (HTTP requests waiting in the loop, say) go to the new version first.
import { describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

type MathFixture = typeof import('./fixtures/math.ts');

describe('retiring the old version after a shift', () => {
  it('ends its workers after a turn of the event loop, then resolves the upgrade once they are gone', async () => {
    const ws = workspace();
    const mod = await ws.hot<MathFixture>(ws.copy('math.ts'), { threads: 2 });
    const oldThreads = mod.stats.alive[0]?.threadIds ?? [];
    expect(oldThreads).toHaveLength(2);
    ws.write('math.ts', `${ws.fixture('math.ts')}\nexport const edited = 1;\n`);
    let threadsAfterATurn: number[] | undefined;
    await mod.upgrade({
      onPhase: ({ phase }) => {
        // Queued before the retirement starts: it runs in the first turn after the shift.
        if (phase === 'drain') setImmediate(() => (threadsAfterATurn = mod.stats.alive.find((g) => g.version.id === 1)?.threadIds));
      },
    });
    // No call was in flight: without the turn, the workers would be gone before it.
    expect(threadsAfterATurn).toEqual(oldThreads);
    expect(mod.stats.alive.map((g) => g.version.id)).toEqual([2]);
    expect(await mod.api.add(2, 3)).toBe(5);
  });
});
