import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

const script = fileURLToPath(new URL('./fixtures/scripts/load-call-upgrade-close.mjs', import.meta.url));

describe('after close()', () => {
  it('nothing keeps the process alive: a child that loads, calls, upgrades and closes exits on its own', async () => {
    const ws = workspace();
    const child = spawn(process.execPath, [script, ws.dir], { stdio: ['ignore', 'pipe', 'pipe'], cwd: process.cwd() });
    ws.defer(() => child.kill('SIGKILL'));
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    // Bounded: a child kept alive by a leftover worker or handle is killed and fails the test.
    const deadline = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const [code, signal] = await once(child, 'exit');
    clearTimeout(deadline);
    expect(output).toContain('closed');
    expect({ code, signal }).toEqual({ code: 0, signal: null });
  });
});
