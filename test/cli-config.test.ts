// `hotworker serve` reads hotworker.config.json beside the entry (or --config <file>): every
// flag under its camelCase name, flags win, unknown keys refused like unknown flags.

import { describe, expect, it } from 'vitest';
import { runCli, startServe } from './support/serve.js';
import { workspace } from './support/workspace.js';

describe('serve config file', () => {
  it('takes options from hotworker.config.json beside the entry; flags win over it', async () => {
    const ws = workspace();
    ws.copy('serve-counter.ts', 'counter.ts');
    // Port 1 would need privileges: the --port 0 that startServe adds must win.
    ws.write('hotworker.config.json', JSON.stringify({ port: 1, threads: 2, cacheDir: 'bundles', jsonLogs: true }));
    const server = await startServe(['counter.ts'], { cwd: ws.dir });
    ws.defer(() => server.stop());
    const status = (await (await fetch(`${server.url}/_hot/status`)).json()) as { threads: number };
    expect(status.threads).toBe(2);
    // jsonLogs from the file: every line is JSON.
    expect(server.lines.filter((line) => line !== '').every((line) => line.startsWith('{'))).toBe(true);
    expect(server.lines.join('\n')).toContain('"event":"config"');
  });

  it('reads --config <file>, and refuses unknown keys and bad values naming the file', async () => {
    const ws = workspace();
    ws.copy('serve-counter.ts', 'counter.ts');
    ws.write('typo.json', JSON.stringify({ prot: 8080 }));
    ws.write('bad.json', JSON.stringify({ callTimeout: 'soon' }));
    ws.write('list.json', '[1]');
    const typo = await runCli(['serve', 'counter.ts', '--config', 'typo.json'], { cwd: ws.dir });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/^hotworker serve: unknown key 'prot' in config file typo\.json; did you mean 'port'\?/);
    const bad = await runCli(['serve', 'counter.ts', '--config', 'bad.json'], { cwd: ws.dir });
    expect(bad.stderr).toMatch(/'callTimeout' in bad\.json must be an integer from 0 to \d+, got 'soon'/);
    const list = await runCli(['serve', 'counter.ts', '--config', 'list.json'], { cwd: ws.dir });
    expect(list.stderr).toMatch(/must hold a JSON object of options/);
    const missing = await runCli(['serve', 'counter.ts', '--config', 'nope.json'], { cwd: ws.dir });
    expect(missing.stderr).toMatch(/cannot read config file nope\.json: no such file/);
    ws.write('good.json', JSON.stringify({ watch: true }));
    const server = await startServe(['counter.ts', '--config', 'good.json'], { cwd: ws.dir });
    ws.defer(() => server.stop());
    const status = (await (await fetch(`${server.url}/_hot/status`)).json()) as { watch: unknown };
    expect(status.watch).not.toBeNull();
  });
});
