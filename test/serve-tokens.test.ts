// Admin tokens: weak ones are refused at start, and the token can come from the environment.
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../dist/src/serve/log.js';
import { HotServer } from '../dist/src/serve/server.js';
import { runCli, startServe } from './support/serve.js';
import { workspace } from './support/workspace.js';

const GOOD = 'env-token-0123456789abcdef';

describe('serve: admin tokens', () => {
  it.each([
    ['short', /--admin-token must be at least 16 characters, got 5/],
    ['has spaces in it, but long', /--admin-token must not contain spaces/],
    ['tab\tinside-a-long-token', /--admin-token must not contain spaces/],
  ])('refuses --admin-token %j at start, before loading anything', async (token, message) => {
    const ws = workspace();
    ws.copy('serve-functions.ts', 'functions.ts');
    const result = await runCli(['serve', 'functions.ts', '--port', '0', '--admin-token', token], { cwd: ws.dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });

  it('names HOTWORKER_ADMIN_TOKEN when the weak token came from there', async () => {
    const ws = workspace();
    ws.copy('serve-functions.ts', 'functions.ts');
    const result = await runCli(['serve', 'functions.ts', '--port', '0'], { cwd: ws.dir, env: { HOTWORKER_ADMIN_TOKEN: 'short' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/HOTWORKER_ADMIN_TOKEN must be at least 16 characters/);
  });

  it('takes the token from HOTWORKER_ADMIN_TOKEN, out of the command line', async () => {
    const ws = workspace();
    ws.copy('serve-functions.ts', 'functions.ts');
    const server = await startServe(['functions.ts', '--threads', '1'], { cwd: ws.dir, env: { HOTWORKER_ADMIN_TOKEN: GOOD } });
    ws.defer(() => server.stop('SIGKILL'));
    expect(server.child.spawnargs.join(' ')).not.toContain(GOOD);
    expect((await fetch(`${server.url}/_hot/status`)).status).toBe(401);
    expect((await fetch(`${server.url}/_hot/status`, { headers: { authorization: `Bearer ${GOOD}x` } })).status).toBe(401);
    expect((await fetch(`${server.url}/_hot/status`, { headers: { authorization: `Bearer ${GOOD}` } })).status).toBe(200);
  });

  it('HotServer.start refuses a weak token with ERR_SERVE_BAD_TOKEN', async () => {
    const ws = workspace();
    await expect(
      HotServer.start({
        entry: ws.copy('serve-functions.ts', 'functions.ts'),
        port: 0,
        adminToken: 'short',
        cacheDir: ws.cacheDir,
        logger: silentLogger,
      }),
    ).rejects.toMatchObject({ code: 'ERR_SERVE_BAD_TOKEN' });
  });
});
