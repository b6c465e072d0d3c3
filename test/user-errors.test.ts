import { HotError } from 'hotworker';
import { describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

type UserErrors = typeof import('./fixtures/user-errors.ts');

describe("errors thrown by the module's own functions", () => {
  it('reach the caller unwrapped: class, name, message, own properties', async () => {
    const ws = workspace();
    const mod = await ws.hot<UserErrors>(ws.copy('user-errors.ts'), { threads: 1 });

    const typeError = await mod.api.typeError().catch((error: unknown) => error);
    expect(typeError).toBeInstanceOf(TypeError);
    expect(typeError).not.toBeInstanceOf(HotError);
    expect(typeError).toMatchObject({ name: 'TypeError', message: 'expected a number', code: 'E_NOT_A_NUMBER' });

    const quota = await mod.api.quota().catch((error: unknown) => error);
    expect(quota).toBeInstanceOf(Error);
    expect(quota).toMatchObject({ name: 'QuotaError', message: 'quota exceeded', limit: 10 });

    const withCause = (await mod.api.withCause().catch((error: unknown) => error)) as Error;
    expect(withCause.message).toBe('outer');
    expect(withCause.cause).toMatchObject({ message: 'inner' });

    const thrown = await mod.api.throwsString().catch((error: unknown) => error);
    expect(thrown).toMatchObject({ message: expect.stringContaining('plain string'), value: 'plain string' });
  });

  it("carry a stack that points at the user's .ts source lines", async () => {
    const ws = workspace();
    const entry = ws.copy('user-errors.ts');
    const mod = await ws.hot<UserErrors>(entry, { threads: 1 });
    const error = (await mod.api.typeError().catch((caught: unknown) => caught)) as Error;
    // The error is created on line 13 of the fixture.
    expect(error.stack).toContain(`${entry}:13:`);
    expect(error.stack).not.toContain('.hotworker');
  });

  it('leave the worker serving', async () => {
    const ws = workspace();
    const mod = await ws.hot<UserErrors>(ws.copy('user-errors.ts'), { threads: 1 });
    const [before] = mod.stats.alive[0]?.threadIds ?? [];
    await expect(mod.api.typeError()).rejects.toThrow();
    await expect(mod.api.quota()).rejects.toThrow();
    expect(mod.stats.alive[0]?.threadIds).toEqual([before]);
  });

  it("come back as a HotError only when named HotError with one of hotworker's codes (a late callback's error)", async () => {
    const ws = workspace();
    const mod = await ws.hot<UserErrors>(ws.copy('user-errors.ts'), { threads: 1 });
    const thrown = (name: string, code: unknown) => mod.api.named(name, code).catch((error: unknown) => error);

    const revived = await thrown('HotError', 'ERR_HOT_CALLBACK_SETTLED');
    expect(revived).toBeInstanceOf(HotError);
    expect(revived).toMatchObject({ code: 'ERR_HOT_CALLBACK_SETTLED', message: 'thrown as HotError', cause: { message: 'the cause' } });
    expect((revived as Error).stack).toContain('thrown as HotError');

    // A hotworker code on another error, a foreign code, or no string code: the error as thrown.
    for (const [name, code] of [
      ['Error', 'ERR_HOT_LOAD'],
      ['HotError', 'E_NOT_OURS'],
      ['HotError', ['ERR_HOT_LOAD']],
      ['HotError', undefined],
    ] as const) {
      const error = await thrown(name, code);
      expect(error, `${name} ${String(code)}`).not.toBeInstanceOf(HotError);
      expect(error, `${name} ${String(code)}`).toMatchObject({ name, message: `thrown as ${name}` });
    }
  });
});
