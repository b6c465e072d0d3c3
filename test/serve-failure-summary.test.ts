// How serve reduces an upgrade failure to one line (log, admin answer, CLI): the code, where the
// module failed (esbuild's location, or the first frame of the module's own stack), and advice
// that names the option as the reader sets it.

import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { HotError } from 'hotworker';
import { describe, expect, it } from 'vitest';
import { failureLine, renameOption, summarizeFailure } from '../dist/src/serve/failure.js';

const here = (file: string) => join(process.cwd(), file);

function loadError(stack: string): HotError {
  const cause = new Error('broken at load');
  cause.stack = stack;
  return new HotError('ERR_HOT_LOAD', 'Loading m.ts failed: broken at load', { cause });
}

describe('serve: failure summaries', () => {
  it('takes a build error’s location from esbuild, relative to the working directory, column from 1', () => {
    const cause = {
      errors: [{ location: { file: here('src/m.ts'), line: 12, column: 8 } }, { location: { file: 'other.ts', line: 1, column: 0 } }],
    };
    const error = new HotError('ERR_HOT_BUILD', 'Build of m.ts failed', { cause });
    expect(summarizeFailure(error)).toEqual({ code: 'ERR_HOT_BUILD', message: 'Build of m.ts failed', where: 'src/m.ts:12:9' });
    // A path outside the working directory stays absolute.
    const outside = new HotError('ERR_HOT_BUILD', 'x', {
      cause: { errors: [{ location: { file: '/elsewhere/m.ts', line: 1, column: 0 } }] },
    });
    expect(summarizeFailure(outside).where).toBe('/elsewhere/m.ts:1:1');
  });

  it('has no location for a build error esbuild gave none, nor for another code with esbuild’s shape', () => {
    const none = new HotError('ERR_HOT_BUILD', 'Build failed', { cause: { errors: [{ location: null }] } });
    expect(summarizeFailure(none).where).toBeUndefined();
    const empty = new HotError('ERR_HOT_BUILD', 'Build failed', { cause: { errors: [] } });
    expect(summarizeFailure(empty).where).toBeUndefined();
    const bare = new HotError('ERR_HOT_BUILD', 'Build failed');
    expect(summarizeFailure(bare).where).toBeUndefined();
    const shaped = new HotError('ERR_HOT_LOAD', 'x', { cause: { errors: [{ location: { file: 'm.ts', line: 1, column: 0 } }] } });
    expect(summarizeFailure(shaped).where).toBeUndefined();
  });

  it('takes the first frame of the module’s stack that is neither hotworker’s, a dependency’s nor Node’s', () => {
    const stack = [
      `Error: at ${here('message.ts')}:1:1`,
      // `/url:806:29` inside Node's own frame is no file of the module.
      '    at new URL (node:internal/url:806:29)',
      `    at load (${here('node_modules/dep/index.js')}:10:3)`,
      `    at run (${here('dist/workers/dispatch.cjs')}:20:5)`,
      `    at boot (${here('.hotworker/bundle-abc.mjs')}:30:7)`,
      '    at <anonymous>',
      `    at connect (${here('src/db.ts')}:41:13)`,
      `    at ${here('src/m.ts')}:2:1`,
    ].join('\n');
    expect(summarizeFailure(loadError(stack))).toEqual({
      code: 'ERR_HOT_LOAD',
      message: 'Loading m.ts failed: broken at load',
      where: 'src/db.ts:41:13',
    });
  });

  it('reads frames without a function name, file URLs, and names that only look like skipped folders', () => {
    expect(summarizeFailure(loadError(`Error\n    at ${here('src/m.ts')}:2:17`)).where).toBe('src/m.ts:2:17');
    expect(summarizeFailure(loadError(`Error\n    at f (${pathToFileURL(here('src/m.ts')).href}:3:5)`)).where).toBe('src/m.ts:3:5');
    const lookalikes = `Error\n    at f (${here('my_node_modules/x/a.ts')}:4:2)`;
    expect(summarizeFailure(loadError(lookalikes)).where).toBe('my_node_modules/x/a.ts:4:2');
    const distOwn = `Error\n    at f (${here('dist/workers.ts')}:5:3)`;
    expect(summarizeFailure(loadError(distOwn)).where).toBe('dist/workers.ts:5:3');
  });

  it('reads a path with colons in it, and no line of a message that spans lines as a frame', () => {
    expect(summarizeFailure(loadError(`Error\n    at f (${here('src/v1:2:3/m.ts')}:4:5)`)).where).toBe('src/v1:2:3/m.ts:4:5');
    const quoted = `Error: bad config\nUnexpected token at ${here('config.json')}:3:5\n    at ${here('src/m.ts')}:2:1`;
    expect(summarizeFailure(loadError(quoted)).where).toBe('src/m.ts:2:1');
  });

  it('has no location when no frame is the module’s, or there is no stack', () => {
    const internal = `Error\n    at ModuleJob.run (node:internal/modules/esm/module_job:234:25)\n    at f (${here('node_modules/d/i.js')}:1:1)`;
    expect(summarizeFailure(loadError(internal)).where).toBeUndefined();
    const noStack = new HotError('ERR_HOT_LOAD', 'x', { cause: { stack: 42 } });
    expect(summarizeFailure(noStack).where).toBeUndefined();
    expect(summarizeFailure(new HotError('ERR_HOT_LOAD', 'x')).where).toBeUndefined();
  });

  it('keeps a foreign error’s string code, and survives values that are not errors', () => {
    expect(summarizeFailure(Object.assign(new Error('no space'), { code: 'ENOSPC' }))).toEqual({
      code: 'ENOSPC',
      message: 'no space',
      where: undefined,
    });
    expect(summarizeFailure(Object.assign(new Error('odd'), { code: 7 })).code).toBeUndefined();
    expect(summarizeFailure('plain text')).toEqual({ code: undefined, message: 'plain text', where: undefined });
    expect(summarizeFailure(undefined)).toEqual({ code: undefined, message: 'undefined', where: undefined });
    expect(summarizeFailure(null)).toEqual({ code: undefined, message: 'null', where: undefined });
  });

  it('names the option as the reader sets it, every time the advice names it', () => {
    const error = new HotError('ERR_HOT_LOAD', 'Did not load within `loadTimeout` (300 ms); raise `loadTimeout`.', {
      option: 'loadTimeout',
    });
    expect(summarizeFailure(error, { loadTimeout: '--load-timeout' }).message).toBe(
      'Did not load within --load-timeout (300 ms); raise --load-timeout.',
    );
    expect(summarizeFailure(error).message).toBe(error.message);
    expect(renameOption('Pass `allowBreaking: true` to upgrade anyway', 'allowBreaking', { allowBreaking: '--allow-breaking' })).toBe(
      'Pass --allow-breaking to upgrade anyway',
    );
    expect(renameOption('raise `loadTimeout`', 'loadTimeout', { callTimeout: '--call-timeout' })).toBe('raise `loadTimeout`');
    expect(renameOption('raise `loadTimeout`', undefined, { loadTimeout: '--load-timeout' })).toBe('raise `loadTimeout`');
    // With no option named, the table is not read at all (not even a key spelled `undefined`).
    expect(renameOption('raise `undefined`', undefined, { undefined: '--nothing' })).toBe('raise `undefined`');
    // Only a HotError names the option its advice is about.
    const foreign = Object.assign(new Error('raise `loadTimeout`'), { option: 'loadTimeout' });
    expect(summarizeFailure(foreign, { loadTimeout: '--load-timeout' }).message).toBe('raise `loadTimeout`');
  });

  it('writes one line: the code, where unless the message already says it, and the message', () => {
    expect(failureLine({ code: 'ERR_HOT_LOAD', message: 'boom', where: 'm.ts:2:1' })).toBe('ERR_HOT_LOAD at m.ts:2:1: boom');
    expect(failureLine({ code: 'ERR_HOT_BUILD', message: 'Build failed: m.ts:2:1: x', where: 'm.ts:2:1' })).toBe(
      'ERR_HOT_BUILD: Build failed: m.ts:2:1: x',
    );
    expect(failureLine({ code: undefined, message: 'boom', where: undefined })).toBe('error: boom');
  });
});
