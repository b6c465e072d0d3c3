import { hot, MAX_TIMEOUT_MS } from 'hotworker';
import { describe, expect, it } from 'vitest';
import { gate } from './support/gate.js';
import { workspace } from './support/workspace.js';

type Gated = typeof import('./fixtures/gate.ts');
type Math = typeof import('./fixtures/math.ts');

// Node clamps a longer timer to 1 ms (TimeoutOverflowWarning): such a timeout would fire at once.
const overflow = 2 ** 31;

describe('timeouts and Node timer limit (2^31-1 ms)', () => {
  it('exports the limit', () => {
    expect(MAX_TIMEOUT_MS).toBe(2_147_483_647);
  });

  it.each(['callTimeout', 'loadTimeout', 'drainTimeout'])('refuses %s of 2^31 ms, naming the limit', async (name) => {
    const ws = workspace();
    const error = await hot(ws.copy('math.ts'), { cacheDir: ws.cacheDir, [name]: overflow }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'ERR_HOT_INVALID_OPTION' });
    expect((error as Error).message).toMatch(new RegExp(`\`${name}\`.*<= 2147483647.*Infinity, got \`2147483648\``));
  });

  it('refuses a call timeout of 2^31 ms; accepts Infinity and the limit itself', async () => {
    const ws = workspace();
    const mod = await ws.hot<Math>(ws.copy('math.ts'), { threads: 1 });
    await expect(mod.run('add', [1, 2], { timeout: overflow })).rejects.toMatchObject({
      code: 'ERR_HOT_INVALID_OPTION',
      message: expect.stringContaining('2147483647'),
    });
    expect(await mod.run('add', [1, 2], { timeout: Number.POSITIVE_INFINITY })).toBe(3);
    expect(await mod.run('add', [1, 2], { timeout: MAX_TIMEOUT_MS })).toBe(3);
  });

  it('accepts Infinity for every timeout; an infinite loadTimeout does not fire at once', async () => {
    const ws = workspace();
    const infinite = Number.POSITIVE_INFINITY;
    const mod = await ws.hot<Math>(ws.copy('math.ts'), {
      threads: 1,
      loadTimeout: infinite,
      callTimeout: infinite,
      drainTimeout: infinite,
    });
    expect(await mod.api.add(2, 3)).toBe(5);
    ws.write('math.ts', `${ws.fixture('math.ts')}\nexport const changed = 1;\n`);
    expect(await mod.upgrade()).toMatchObject({ id: 2 });
  });

  it.each([
    ['the limit', MAX_TIMEOUT_MS],
    ['Infinity', Number.POSITIVE_INFINITY],
  ])('a drainTimeout of %s lets a running call finish across an upgrade', async (_, drainTimeout) => {
    const ws = workspace();
    const mod = await ws.hot<Gated>(ws.copy('gate.ts'), { threads: 1, drainTimeout });
    const held = gate();
    ws.defer(() => held.open());
    const running = mod.api.hold(held.shared);
    await held.entered(1);

    ws.write('gate.ts', ws.fixture('gate.ts').replace("VERSION = 'old'", "VERSION = 'new'"));
    const events: Array<{ killed: number; drained: number }> = [];
    mod.on('upgrade', (event) => events.push(event));
    const upgrading = mod.upgrade();
    await expect.poll(() => mod.stats.alive.length, { timeout: 10_000 }).toBe(2);
    held.open();
    await upgrading;
    expect(await running).toBe('old');
    expect(events).toMatchObject([{ killed: 0, drained: 1 }]);
  });
});
