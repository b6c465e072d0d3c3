/**
 * A worker exiting while a version loads: only a worker that has not loaded yet fails the
 * load (a loaded worker that exits is replaced by piscina), and a replacement started during
 * the load is watched as closely as the first workers.
 */
import { describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

describe('a worker exiting during the load proof', () => {
  it('a loaded worker exiting is not a load failure; a replacement exiting before it loads is', async () => {
    const ws = workspace();
    ws.copy('helpers/start-order.ts');
    const entry = ws.write('module.ts', ws.fixture('exits-after-load.ts').replace("'__DIR__'", JSON.stringify(ws.dir)));
    // The second worker never loads, so the load is still running when the first exits and
    // its replacement exits in turn; the limit is only a backstop.
    const error = await ws.hot(entry, { threads: 2, loadTimeout: 20_000 }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'ERR_HOT_LOAD', exitCode: 5, version: 1 });
    expect((error as Error).message).toMatch(/^Version 1 exited with code 5 while loading /);
  });
});
