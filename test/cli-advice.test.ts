// The CLI can do what its messages tell the user to do: advice names flags, not library
// options; the flags it names exist; unknown flags get a suggestion; entry mistakes say which.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, startServe } from './support/serve.js';
import { workspace } from './support/workspace.js';

describe('CLI advice', () => {
  it('suggests the flag meant for an unknown one', async () => {
    const ws = workspace();
    ws.copy('serve-counter.ts', 'counter.ts');
    const typo = await runCli(['serve', 'counter.ts', '--prot', '3001'], { cwd: ws.dir });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/^hotworker serve: unknown option '--prot'; did you mean '--port'\?/);
    const upgrade = await runCli(['upgrade', '--alow-breaking']);
    expect(upgrade.stderr).toMatch(/did you mean '--allow-breaking'\?/);
    const far = await runCli(['serve', 'counter.ts', '--frobnicate'], { cwd: ws.dir });
    expect(far.stderr).not.toMatch(/did you mean/);
  });

  it('--load-timeout limits loading, and the error names the flag, not the option', async () => {
    const ws = workspace();
    ws.copy('loops-at-load.ts', 'loops.ts');
    const result = await runCli(['serve', 'loops.ts', '--port', '0', '--load-timeout', '300', '--threads', '1'], { cwd: ws.dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/ERR_HOT_LOAD.*within --load-timeout \(300 ms\).*raise --load-timeout\./);
    expect(result.stderr).not.toMatch(/loadTimeout/);
  });

  it('--allow-breaking lets a SIGHUP upgrade drop an export; without it the log names the flag', async () => {
    const ws = workspace();
    ws.copy('serve-counter.ts', 'counter.ts');
    const strict = await startServe(['counter.ts', '--threads', '1'], { cwd: ws.dir });
    ws.defer(() => strict.stop());
    const loose = await startServe(['counter.ts', '--threads', '1', '--allow-breaking', '--cache-dir', '.other'], { cwd: ws.dir });
    ws.defer(() => loose.stop());
    ws.write('counter.ts', ws.fixture('serve-counter.ts').replace(/export function add[\s\S]*$/, ''));
    expect(ws.fixture('serve-counter.ts')).toContain('export function add');
    strict.child.kill('SIGHUP');
    const refused = await strict.waitFor(/upgrade \(SIGHUP\) failed/);
    expect(refused).toMatch(
      /v1 \(\w{8}\) keeps serving: ERR_HOT_INCOMPATIBLE: .*no longer exports add.*Pass --allow-breaking to upgrade anyway/,
    );
    loose.child.kill('SIGHUP');
    await loose.waitFor(/v1 \(\w{8}\) → v2 \(\w{8}\) in [\d.]+ m?s, drained 0 calls$/);
  });

  it('says whether the entry is missing or a directory, and where a relative path was looked for', async () => {
    const ws = workspace();
    mkdirSync(join(ws.dir, 'lib'));
    const directory = await runCli(['build', 'lib'], { cwd: ws.dir });
    expect(directory.code).toBe(1);
    expect(directory.stderr).toMatch(/lib: it is a directory, not a module file\. Name the file itself, such as .*lib\/index\.ts/);
    const missing = await runCli(['build', 'nope.ts'], { cwd: ws.dir });
    expect(missing.stderr).toMatch(/nope\.ts: no such file\. A relative path resolves from the working directory \(.*\)/);
    expect(missing.stderr).not.toMatch(/directory, not a module file/);
  });
});
