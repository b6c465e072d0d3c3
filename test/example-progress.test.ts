// examples/progress runs as documented: a progress bar from a worker callback, then a stream read until break.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

describe('examples/progress', () => {
  it('draws the bar to 100 %, prints the count and the first primes, and leaves no call in flight', async () => {
    const ws = workspace();
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [fileURLToPath(new URL('../examples/progress/main.js', import.meta.url))],
      {
        cwd: ws.dir,
      },
    );
    const frames = stdout.split('\r');
    expect(frames.length).toBeGreaterThan(10);
    expect(stdout).toContain('[##############################] 100%');
    expect(stdout).toContain('148933 primes below 2,000,000');
    expect(stdout).toContain('the first primes above 10^9: 1000000007, 1000000009, 1000000021, 1000000033, 1000000087');
    expect(stdout).toContain('calls in flight after the break: 0');
  });
});
