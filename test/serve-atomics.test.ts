// `hotworker serve --atomics <mode>`: the library's `atomics` option; values other than auto, async and sync refused.
import { describe, expect, it } from 'vitest';
import { call, runCli, startServe } from './support/serve.js';
import { workspace } from './support/workspace.js';

describe('serve --atomics', () => {
  it('sync: an idle worker is parked, so what a call left running has not run when the next call comes', async () => {
    const ws = workspace();
    ws.copy('serve-leaves-running.ts', 'leaves.ts');
    const server = await startServe(['leaves.ts', '--threads', '1', '--no-standby', '--atomics', 'sync'], { cwd: ws.dir });
    ws.defer(() => server.stop('SIGKILL'));
    expect(await call(server.url, 'leave', [])).toMatchObject({ status: 200, body: false });
    // With async the work runs within microseconds of the answer, long before a new request arrives.
    expect(await call(server.url, 'ranYet', [])).toMatchObject({ status: 200, body: false });
  });

  it('by default (auto), what a call left running has run when the next call comes', async () => {
    const ws = workspace();
    ws.copy('serve-leaves-running.ts', 'leaves.ts');
    const server = await startServe(['leaves.ts', '--threads', '1', '--no-standby'], { cwd: ws.dir });
    ws.defer(() => server.stop('SIGKILL'));
    expect(await call(server.url, 'leave', [])).toMatchObject({ status: 200, body: false });
    expect(await call(server.url, 'ranYet', [])).toMatchObject({ status: 200, body: true });
  });

  it('refuses another mode, in a flag or in the config file', async () => {
    const ws = workspace();
    ws.copy('serve-leaves-running.ts', 'leaves.ts');
    const flag = await runCli(['serve', 'leaves.ts', '--atomics', 'disabled'], { cwd: ws.dir });
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/--atomics must be auto, async or sync, got 'disabled'/);
    ws.write('hotworker.config.json', JSON.stringify({ atomics: true }));
    const file = await runCli(['serve', 'leaves.ts'], { cwd: ws.dir });
    expect(file.code).toBe(2);
    expect(file.stderr).toMatch(/'atomics' in .*hotworker\.config\.json must be auto, async or sync, got 'true'/);
  });
});
