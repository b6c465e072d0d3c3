import { type HotModule, hot } from 'hotworker';
import { describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

describe('validation on the caller side', () => {
  it('run() with arguments that are not an array: ERR_HOT_INVALID_OPTION, and the worker never sees it', async () => {
    const ws = workspace();
    const mod = (await ws.hot(ws.copy('math.ts'), { threads: 1 })) as HotModule;
    const error = await mod.run('add', 5 as never).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'ERR_HOT_INVALID_OPTION' });
    expect((error as Error).message).toMatch(/Expected the arguments of add\(\) to be an array .*got `5` \(number\)/);
    expect(mod.stats.current.completed).toBe(1); // the load proof's ping only
    expect(await mod.run('add', [2, 3])).toBe(5);
  });

  it('unknown resourceLimits keys are refused like every unknown option', async () => {
    const ws = workspace();
    const error = await hot(ws.copy('math.ts'), { cacheDir: ws.cacheDir, resourceLimits: { maxOldSpaceMb: 64 } as never }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({ code: 'ERR_HOT_INVALID_OPTION' });
    expect((error as Error).message).toMatch(/Unknown resourceLimits key `maxOldSpaceMb`; expected one of `maxOldGenerationSizeMb`/);
    await expect(hot(ws.copy('math.ts'), { cacheDir: ws.cacheDir, resourceLimits: { stackSizeMb: -1 } })).rejects.toThrow(
      /Expected `resourceLimits.stackSizeMb` to be a finite number > 0/,
    );
  });

  it('refuses a stack too small for a worker to start: on Node 20 it would abort the whole process', async () => {
    const ws = workspace();
    await expect(hot(ws.copy('math.ts'), { cacheDir: ws.cacheDir, resourceLimits: { stackSizeMb: 0.1 } })).rejects.toMatchObject({
      code: 'ERR_HOT_INVALID_OPTION',
      message: expect.stringContaining('`resourceLimits.stackSizeMb` to be at least 0.5'),
    });
    const small = await hot<typeof import('./fixtures/math.ts')>(ws.copy('math.ts'), {
      cacheDir: ws.cacheDir,
      threads: 1,
      resourceLimits: { stackSizeMb: 0.5 },
    });
    ws.defer(() => small.close());
    expect(await small.api.add(1, 2)).toBe(3);
  });
});
