/**
 * `npm run bench -- --quick` is a smoke test of the bench: it must never write the committed
 * report (bench/RESULTS.md, bench/RESULTS.json, bench/charts/). The runner is copied into a
 * scratch directory, so that a broken guard writes its report there, not over the real one.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

const bench = fileURLToPath(new URL('../bench/', import.meta.url));
const nodeModules = fileURLToPath(new URL('../node_modules', import.meta.url));

/** A copy of bench/run.js and bench/lib/ with no scenario files: a run there does nothing but report. */
function benchCopy(): string {
  const dir = join(workspace().dir, 'bench');
  mkdirSync(dir);
  cpSync(join(bench, 'run.js'), join(dir, 'run.js'));
  cpSync(join(bench, 'lib'), join(dir, 'lib'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  symlinkSync(nodeModules, join(dir, 'node_modules'), 'dir');
  return dir;
}

function run(dir: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [join(dir, 'run.js'), ...args], { cwd: dir }, (_error, _stdout, stderr) =>
      resolve({ code: child.exitCode, stderr }),
    );
  });
}

const committed = (dir: string) => ['RESULTS.md', 'RESULTS.json', 'charts'].filter((name) => existsSync(join(dir, name)));

describe('bench --quick', () => {
  it.each([['--write-results'], ['--rewrite-results']])('refuses %s and writes no committed report', async (flag) => {
    const dir = benchCopy();
    if (flag === '--rewrite-results') writeFileSync(join(dir, 'RESULTS.json'), JSON.stringify({ results: [] }));
    const before = committed(dir);
    const { code, stderr } = await run(dir, ['--quick', flag]);
    expect(stderr).toMatch(/--quick never writes bench\/RESULTS/);
    expect(code).toBe(2);
    expect(committed(dir)).toEqual(before);
  });

  it('without --quick, the copy does write its report (the check above can see a write)', async () => {
    const dir = benchCopy();
    const { code } = await run(dir, ['--write-results']);
    expect(code).toBe(0);
    expect(committed(dir)).toEqual(['RESULTS.md', 'RESULTS.json', 'charts']);
  });
});
