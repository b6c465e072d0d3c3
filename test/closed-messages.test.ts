// The words of ERR_HOT_CLOSED and of ERR_HOT_VERIFY, exactly: an upgrade or rollback that shifted
// and was draining when close() came says which it was; verify's timeout names loadTimeout and
// its rejection carries verify's own message; a call by a name that is not a string names it.
import { describe, expect, it } from 'vitest';
import { gate } from './support/gate.js';
import { workspace } from './support/workspace.js';

type Gated = typeof import('./fixtures/gate.ts');

describe('the words of closed, verify and unknown-name errors', () => {
  for (const kind of ['upgrade', 'rollback'] as const) {
    it(`a ${kind} closed during its drain rejects "Cannot ${kind === 'upgrade' ? 'upgrade' : 'roll back'}: … is closed"`, async () => {
      const ws = workspace();
      const entry = ws.write('gate.ts', ws.fixture('gate.ts'));
      const mod = await ws.hot<Gated>(entry, { threads: 1 });
      if (kind === 'rollback') {
        ws.write('gate.ts', ws.fixture('gate.ts').replace("VERSION = 'old'", "VERSION = 'new'"));
        await mod.upgrade();
      }
      const held = gate();
      const call = mod.api.hold(held.shared);
      await held.entered(1);
      ws.write('gate.ts', ws.fixture('gate.ts').replace("VERSION = 'old'", "VERSION = 'newer'"));
      let closing: Promise<void> | undefined;
      const onPhase = (event: { phase: string }) => {
        // The shift is done and the old version drains its held call: close now.
        if (event.phase === 'drain') closing = mod.close();
      };
      const transition = kind === 'upgrade' ? mod.upgrade({ onPhase }) : mod.rollback();
      if (kind === 'rollback') {
        // rollback() has no phases: close once the version rolled back to serves.
        await expect.poll(() => mod.version.id, { timeout: 10_000 }).toBe(1);
        closing = mod.close();
      }
      await expect.poll(() => closing !== undefined, { timeout: 10_000 }).toBe(true);
      held.open();
      await expect(transition).rejects.toMatchObject({
        code: 'ERR_HOT_CLOSED',
        message: `Cannot ${kind === 'upgrade' ? 'upgrade' : 'roll back'}: the module ${entry} is closed`,
      });
      expect(await call).toBe(kind === 'upgrade' ? 'old' : 'new');
      await closing;
    });
  }

  it("verify's timeout and rejection, word for word", async () => {
    const ws = workspace();
    const entry = ws.write('gate.ts', ws.fixture('gate.ts'));
    let mode: 'pass' | 'hang' | 'reject' = 'pass';
    const mod = await ws.hot<Gated>(entry, {
      threads: 1,
      loadTimeout: 3_000,
      verify: () => (mode === 'hang' ? new Promise(() => {}) : mode === 'reject' ? Promise.reject(new Error('wrong answer')) : undefined),
    });
    ws.write('gate.ts', ws.fixture('gate.ts').replace("VERSION = 'old'", "VERSION = 'new'"));
    mode = 'hang';
    await expect(mod.upgrade()).rejects.toMatchObject({
      code: 'ERR_HOT_VERIFY',
      message: 'verify() of version 2 did not settle within `loadTimeout` (3000 ms)',
      version: 2,
      option: 'loadTimeout',
    });
    mode = 'reject';
    const rejected = await mod.upgrade().catch((error: unknown) => error);
    expect(rejected).toMatchObject({ code: 'ERR_HOT_VERIFY', message: 'verify() rejected version 2: wrong answer', version: 2 });
    expect((rejected as Error).cause).toMatchObject({ message: 'wrong answer' });
    expect(await mod.api.version()).toBe('old');
  });

  it('a name that is not a string: ERR_HOT_NO_EXPORT naming it as text', async () => {
    const ws = workspace();
    const entry = ws.copy('gate.ts');
    const mod = await ws.hot(entry, { threads: 1 });
    const name = Symbol('fib') as unknown as string;
    await expect(mod.call(name)).rejects.toMatchObject({
      code: 'ERR_HOT_NO_EXPORT',
      message: `Symbol(fib) is not an exported function of ${entry} (version 1); exported functions: hold, version`,
      fn: 'Symbol(fib)',
    });
  });
});
