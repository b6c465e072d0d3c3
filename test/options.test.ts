import { HotHost, hot } from 'hotworker';
import { describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

const invalid: Array<[string, Record<string, unknown>, RegExp]> = [
  ['threads 0', { threads: 0 }, /Expected `threads` to be an integer >= 1, got `0` \(number\)/],
  ['threads as text', { threads: '2' }, /Expected `threads` to be an integer >= 1, got `2` \(string\)/],
  ['threads with minThreads', { threads: 2, minThreads: 1 }, /either `threads` or `minThreads`/],
  ['maxThreads below minThreads', { minThreads: 3, maxThreads: 2 }, /`maxThreads` \(2\) to be >= `minThreads` \(3\)/],
  ['callTimeout negative', { callTimeout: -1 }, /Expected `callTimeout` to be a number > 0/],
  ['loadTimeout zero', { loadTimeout: 0 }, /Expected `loadTimeout` to be a number > 0/],
  ['drainTimeout NaN', { drainTimeout: Number.NaN }, /Expected `drainTimeout`/],
  ['disposeTimeout 0', { disposeTimeout: 0 }, /Expected `disposeTimeout` to be a number > 0/],
  ['keepVersions 0', { keepVersions: 0 }, /Expected `keepVersions` to be an integer >= 1/],
  ['atomics disabled', { atomics: 'disabled' }, /Expected `atomics` to be 'auto', 'async' or 'sync', got `disabled` \(string\)/],
  ['verify not a function', { verify: true }, /Expected `verify` to be a function/],
  ['unknown key', { thread: 2 }, /Unknown module option `thread`/],
];

describe('options', () => {
  it.each(invalid)('refuses %s with ERR_HOT_INVALID_OPTION', async (_, options, message) => {
    const ws = workspace();
    const error = await hot(ws.copy('math.ts'), options as never).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'ERR_HOT_INVALID_OPTION' });
    expect((error as Error).message).toMatch(message);
  });

  it('refuses bad host options at construction', () => {
    expect(() => new HotHost({ cacheDir: '' })).toThrow(/cacheDir/);
    expect(() => new HotHost({ defaults: { threads: -1 } })).toThrow(/threads/);
    expect(() => new HotHost({ cache: 'x' } as never)).toThrow(/Unknown host option `cache`/);
  });

  it('refuses bad upgrade and call options without touching the module', async () => {
    const ws = workspace();
    const mod = await ws.hot<typeof import('./fixtures/math.ts')>(ws.copy('math.ts'), { threads: 1 });
    await expect(mod.upgrade({ restart: 'yes' } as never)).rejects.toMatchObject({ code: 'ERR_HOT_INVALID_OPTION' });
    await expect(mod.upgrade({ force: true } as never)).rejects.toThrow(/Unknown upgrade option `force`/);
    await expect(mod.run('add', [1, 2], { timeout: 0 })).rejects.toThrow(/Expected `timeout`/);
    await expect(mod.run('add', [1, 2], { signal: {} as AbortSignal })).rejects.toThrow(/AbortSignal/);
    expect(await mod.run('add', [1, 2], { timeout: 5_000 })).toBe(3);
  });
});
