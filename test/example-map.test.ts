// examples/map runs as documented: many inputs in chunks with progress, then settle: true.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

describe('examples/map', () => {
  it('is what the README shows under map()', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const main = readFileSync(new URL('../examples/map/main.js', import.meta.url), 'utf8');
    const code = main.slice(main.indexOf("import { hot } from 'hotworker';"), main.indexOf('await words.close();')).trim();
    expect(readme).toContain(code);
    const words = readFileSync(new URL('../examples/map/words.ts', import.meta.url), 'utf8');
    expect(readme).toContain(words.slice(words.indexOf('export function countWords')).trim());
  });

  it('counts every line, then settles each input on its own', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [fileURLToPath(new URL('../examples/map/main.js', import.meta.url))]);
    expect(stdout).toContain('200000 of 200000 lines');
    expect(stdout).toContain('1199994 words in 200000 lines');
    expect(stdout).toContain('input 0: 2\ninput 1: failed, TypeError\ninput 2: 1\n');
  });
});
