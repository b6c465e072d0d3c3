/**
 * `instanceof HotError` holds across two copies of hotworker (a library and the app may
 * depend on different copies): a real second copy of the built errors module is loaded from
 * another directory, so it has its own class and prototype.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { HotError } from 'hotworker';
import { afterEach, describe, expect, it } from 'vitest';

const builtErrors = fileURLToPath(new URL('../dist/src/errors.js', import.meta.url));
let dir: string | undefined;

afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

async function secondCopy(): Promise<typeof import('hotworker')> {
  dir = mkdtempSync(join(tmpdir(), 'hotworker-copy-'));
  const target = join(dir, 'errors.js');
  copyFileSync(builtErrors, target);
  copyFileSync(`${builtErrors}.map`, `${target}.map`);
  return import(pathToFileURL(target).href);
}

describe('HotError across two copies of the package', () => {
  it('an error from the other copy is instanceof HotError here, and the reverse', async () => {
    const other = await secondCopy();
    expect(other.HotError).not.toBe(HotError);
    const theirs = new other.HotError('ERR_HOT_LOAD', 'from the other copy');
    const ours = new HotError('ERR_HOT_CLOSED', 'from this copy');
    expect(Object.getPrototypeOf(theirs)).not.toBe(HotError.prototype);

    expect(theirs instanceof HotError).toBe(true);
    expect(HotError.is(theirs, 'ERR_HOT_LOAD')).toBe(true);
    expect(ours instanceof other.HotError).toBe(true);
    expect(other.HotError.is(ours, 'ERR_HOT_CLOSED')).toBe(true);
  });

  it('a look-alike with a code but no brand is not a HotError', () => {
    const lookalike = Object.assign(new Error('x'), { name: 'HotError', code: 'ERR_HOT_LOAD' });
    expect(lookalike instanceof HotError).toBe(false);
    expect(HotError.is(lookalike)).toBe(false);
  });
});
