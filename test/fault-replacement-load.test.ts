// A worker that replaces a dead one but cannot serve as the first ones did: its calls get
// ERR_HOT_LOAD (it failed to load) or ERR_HOT_NO_EXPORT (it loaded without the function).
import { join } from 'node:path';
import { HotError, type HotModule } from 'hotworker';
import { describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

// add() as the first workers export it (a replacement may load without it).
type Reloads = Omit<typeof import('./fixtures/reloads-differently.ts'), 'add'> & { add(a: number, b: number): number };
const MARKER = 'HOTWORKER_TEST_RELOAD_MARKER';

async function openWithMarker(): Promise<HotModule<Reloads>> {
  const ws = workspace();
  process.env[MARKER] = join(ws.dir, 'marker');
  ws.defer(() => {
    delete process.env[MARKER];
  });
  const mod = await ws.hot<Reloads>(ws.copy('reloads-differently.ts'), { threads: 1 });
  expect(await mod.call('add', 1, 2)).toBe(3);
  return mod;
}

describe('a replacement worker that loads differently', () => {
  it('fails to load: its calls get ERR_HOT_LOAD with the load error as cause', async () => {
    const mod = await openWithMarker();
    await expect(mod.api.breakNext('throw')).rejects.toMatchObject({ code: 'ERR_HOT_WORKER_EXIT', exitCode: 1 });
    const error = await mod.call('add', 1, 2).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HotError);
    expect(error).toMatchObject({
      code: 'ERR_HOT_LOAD',
      fn: 'add',
      version: 1,
      message: 'A worker of version 1 failed to load the module: cannot load: told to fail',
      cause: { name: 'RangeError', message: 'cannot load: told to fail' },
    });
  });

  it('loads without the function: its calls get ERR_HOT_NO_EXPORT', async () => {
    const mod = await openWithMarker();
    await expect(mod.api.breakNext('drop')).rejects.toMatchObject({ code: 'ERR_HOT_WORKER_EXIT', exitCode: 1 });
    const error = await mod.call('add', 1, 2).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HotError);
    expect(error).toMatchObject({
      code: 'ERR_HOT_NO_EXPORT',
      fn: 'add',
      version: 1,
      message: 'add is not an exported function of version 1',
    });
  });
});
