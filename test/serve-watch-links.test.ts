// --watch follows what the entry resolves to: a symlink swapped with `mv -T` deploys its new
// target, and a module folder deleted and re-created is watched again, with a warning between.
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { call, eventually, startServe } from './support/serve.js';
import { workspace } from './support/workspace.js';

const source = (mark: string) => `export function mark(): string {\n  return '${mark}';\n}\n`;

async function markIs(url: string, expected: string): Promise<true | undefined> {
  const answer = await call(url, 'mark');
  return answer.body === expected ? true : undefined;
}

describe('serve --watch: symlinks and re-created folders', () => {
  it('deploys the new target when a symlinked entry is swapped (mv -T), then follows edits to it', async () => {
    const ws = workspace();
    mkdirSync(join(ws.dir, 'v1'));
    mkdirSync(join(ws.dir, 'v2'));
    ws.write('v1/mark.ts', source('one'));
    const v2 = ws.write('v2/mark.ts', source('two'));
    symlinkSync(join('v1', 'mark.ts'), join(ws.dir, 'entry.ts'));
    const server = await startServe(['entry.ts', '--watch', '--threads', '1'], { cwd: ws.dir });
    ws.defer(() => server.stop('SIGKILL'));
    expect((await call(server.url, 'mark')).body).toBe('one');

    // `mv -T`: a new link renamed over the old one, atomically.
    symlinkSync(join('v2', 'mark.ts'), join(ws.dir, 'entry.next'));
    renameSync(join(ws.dir, 'entry.next'), join(ws.dir, 'entry.ts'));
    await eventually(() => markIs(server.url, 'two'), 'the swapped target deployed');

    writeFileSync(v2, source('two-edited'));
    await eventually(() => markIs(server.url, 'two-edited'), 'an edit of the new target deployed');
  });

  it('re-arms after the module folder is deleted and re-created, and warns that watching stopped', async () => {
    const ws = workspace();
    mkdirSync(join(ws.dir, 'mod'));
    ws.write('mod/mark.ts', source('one'));
    const server = await startServe(['mod/mark.ts', '--watch', '--threads', '1'], { cwd: ws.dir });
    ws.defer(() => server.stop('SIGKILL'));
    expect((await call(server.url, 'mark')).body).toBe('one');

    rmSync(join(ws.dir, 'mod'), { recursive: true });
    await server.waitFor(/^\S+Z warning: stopped watching .*mod: it was removed; watching for it to come back$/);
    expect((await call(server.url, 'mark')).body).toBe('one');

    mkdirSync(join(ws.dir, 'mod'));
    ws.write('mod/mark.ts', source('back'));
    await eventually(() => markIs(server.url, 'back'), 'the re-created module deployed');
    await server.waitFor(/watching .*mod again$/);

    ws.write('mod/mark.ts', source('edited'));
    await eventually(() => markIs(server.url, 'edited'), 'a later edit deployed');
  });
});
