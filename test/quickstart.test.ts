/**
 * `npm run quickstart`, as the README tells a newcomer to run it: the script's build step has
 * just run (npm test builds first), so the test runs the rest of the script, through a shell,
 * from the repository root, and checks what the README says it shows.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('npm run quickstart', () => {
  it('upgrades a module twice under load, and no call fails', async () => {
    const { scripts } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const [build, ...rest] = (scripts.quickstart as string).split(' && ');
    expect(build).toBe('npm run build');
    const child = spawn(rest.join(' && '), { cwd: root, shell: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    const [code] = await once(child, 'close');

    expect(output).toMatch(/^loaded v1 \(\w{8}\), exports: .*greet/m);
    expect(output).toMatch(/^v1 \(\w{8}\) → v2 \(\w{8}\) in \d+ ms/m);
    expect(output).toMatch(/^v2 \(\w{8}\) → v3 \(\w{8}\) in \d+ ms/m);
    expect(output).toMatch(/^\d+ calls, 0 failed$/m);
    expect(code).toBe(0);
  });
});
