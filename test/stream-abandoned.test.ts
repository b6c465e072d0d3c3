/**
 * A stream its consumer lets go of without `break` or `return()` (read one value, then drop the
 * iterator) is stopped once the iterator is garbage-collected, as `break` would: otherwise its
 * generator, paused for credit, would hold its worker for good. Run in a child process with
 * --expose-gc, so that the collection can be forced.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

const script = fileURLToPath(new URL('./fixtures/scripts/abandon-stream.mjs', import.meta.url));

describe('an abandoned stream', () => {
  it('frees its worker, running the generator’s finally, once its iterator is garbage', async () => {
    const ws = workspace();
    const entry = ws.copy('streams.ts');
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['--expose-gc', script, entry, ws.cacheDir], { cwd: ws.dir }, (error, out) =>
        error ? reject(error) : resolve(out),
      ),
    );
    expect(JSON.parse(stdout)).toEqual({ answered: true, finallyRan: true });
  });
});
