/**
 * A version whose workers load but never answer is refused with a message that says so and
 * names the limit it waited for.
 */
import { describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

describe('a version that loads but never answers', () => {
  it('rejects ERR_HOT_LOAD "loaded but did not answer", naming loadTimeout', async () => {
    const ws = workspace();
    // Long enough for a worker to start on a busy machine; the probe then waits this long too.
    const loadTimeout = 3_000;
    const error = await ws.hot(ws.copy('silent-after-load.ts'), { threads: 1, loadTimeout }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'ERR_HOT_LOAD', version: 1 });
    expect((error as Error).message).toBe(`Version 1 loaded but did not answer: no answer within loadTimeout (${loadTimeout} ms)`);
    expect((error as Error).cause).toMatchObject({ message: `no answer within loadTimeout (${loadTimeout} ms)` });
  });
});
