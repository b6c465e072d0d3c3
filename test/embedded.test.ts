// The embedding example: an existing node:http service renders PNG tiles through a hot
// module, and upgrades the renderer on SIGHUP while it serves.

import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { eventually } from './support/serve.js';
import { workspace } from './support/workspace.js';

const repository = fileURLToPath(new URL('..', import.meta.url));

async function tile(url: string, query: string): Promise<{ status: number; renderer: string | null; png: Buffer }> {
  const response = await fetch(`${url}/tile?${query}`);
  return { status: response.status, renderer: response.headers.get('x-renderer'), png: Buffer.from(await response.arrayBuffer()) };
}

describe('examples/embedded', () => {
  it('is what the README shows under "Embedding in your service"', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Embedding in your service'));
    const snippet = /```js\n([\s\S]*?)```/.exec(section)?.[1];
    expect(snippet).toBeDefined();
    expect(snippet?.split('\n').length).toBeGreaterThan(20);
    expect(readFileSync(new URL('../examples/embedded/server.js', import.meta.url), 'utf8')).toContain(snippet);
  });

  it('serves PNG tiles from a hot module and upgrades the renderer on SIGHUP', async () => {
    // A copy of the example, so the test can edit it; `hotworker` resolves to this repository.
    const ws = workspace();
    cpSync(new URL('../examples/embedded/', import.meta.url), ws.dir, { recursive: true });
    mkdirSync(join(ws.dir, 'node_modules'));
    symlinkSync(repository, join(ws.dir, 'node_modules', 'hotworker'), 'dir');
    const child = spawn(process.execPath, ['server.js'], {
      cwd: ws.dir,
      env: { ...process.env, PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    ws.defer(() => child.kill('SIGKILL'));
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const url = await eventually(async () => /listening on (http:\/\/\S+)/.exec(output)?.[1], `the example to listen:\n${output}`);

    const first = await tile(url, 'x=0&y=0&zoom=0');
    expect(first.status).toBe(200);
    expect(first.png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(first.png.readUInt32BE(16)).toBe(256); // IHDR width
    expect(first.renderer).toMatch(/^1-[0-9a-f]{8}$/);

    const renderer = join(ws.dir, 'mandelbrot.ts');
    writeFileSync(renderer, readFileSync(renderer, 'utf8').replace('const MAX_ITERATIONS = 200;', 'const MAX_ITERATIONS = 50;'));
    child.kill('SIGHUP');
    const second = await eventually(async () => {
      const answer = await tile(url, 'x=0&y=0&zoom=0');
      return answer.renderer === first.renderer ? undefined : answer;
    }, 'the upgraded renderer');
    expect(second.status).toBe(200);
    expect(second.renderer).toMatch(/^2-[0-9a-f]{8}$/);
    expect(second.png.equals(first.png)).toBe(false);
    // Printed once upgrade() resolves, after the old renderer's threads have ended: a little after the shift.
    await eventually(async () => /renderer is v2 \([0-9a-f]{8}\)/.exec(output)?.[0], `the upgrade's line:\n${output}`);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
