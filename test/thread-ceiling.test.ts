import { availableParallelism } from 'node:os';
import { hot, THREADS_PER_CORE_LIMIT } from 'hotworker';
import { describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

const ceiling = THREADS_PER_CORE_LIMIT * availableParallelism();

describe('thread counts have a ceiling', () => {
  it.each([
    ['threads', { threads: 1e6 }],
    ['minThreads', { minThreads: ceiling + 1 }],
    ['maxThreads', { maxThreads: ceiling + 1 }],
  ])('refuses %s above %d × cores at once, naming the ceiling and the override', async (name, options) => {
    const ws = workspace();
    const error = await hot(ws.copy('math.ts'), { cacheDir: ws.cacheDir, ...options }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'ERR_HOT_INVALID_OPTION' });
    expect((error as Error).message).toContain(`Expected \`${name}\` to be an integer <= ${ceiling}`);
    expect((error as Error).message).toContain('maxThreadsLimit');
  });

  it('maxThreadsLimit moves the ceiling both ways', async () => {
    const ws = workspace();
    await expect(hot(ws.copy('math.ts'), { cacheDir: ws.cacheDir, threads: 3, maxThreadsLimit: 2 })).rejects.toThrow(
      /Expected `threads` to be an integer <= 2 \(`maxThreadsLimit`\), got `3`/,
    );
    await expect(hot(ws.copy('math.ts'), { cacheDir: ws.cacheDir, maxThreadsLimit: 0 })).rejects.toMatchObject({
      code: 'ERR_HOT_INVALID_OPTION',
    });
    // maxThreads only starts workers under load, so a high ceiling costs nothing here.
    const mod = await ws.hot<typeof import('./fixtures/math.ts')>(ws.copy('math.ts'), {
      minThreads: 1,
      maxThreads: ceiling + 1,
      maxThreadsLimit: ceiling + 1,
    });
    expect(await mod.api.add(1, 1)).toBe(2);
  });
});
