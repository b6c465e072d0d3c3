// The `hotworker` command line: help everywhere, one-line errors with the right exit codes,
// `build`, and the admin clients `upgrade`, `rollback` and `status` against a running server.

import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { cliPath, runCli, startServe } from './support/serve.js';
import { workspace } from './support/workspace.js';

const packageVersion = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** A user mistake is told in exactly one line on stderr, with no stack trace. */
function expectOneLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.trimEnd().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(stderr).not.toMatch(/^\s+at /m);
}

describe('hotworker CLI', () => {
  it('prints help for itself and every command', async () => {
    const top = await runCli(['--help']);
    expect(top.code).toBe(0);
    for (const command of ['serve', 'build', 'upgrade', 'rollback', 'status']) {
      expect(top.stdout).toContain(`  ${command}`);
      const help = await runCli([command, '--help']);
      expect(help.code, command).toBe(0);
      expect(help.stdout, command).toMatch(new RegExp(`^Usage: hotworker ${command}`));
      expect((await runCli(['help', command])).stdout).toBe(help.stdout);
    }
    const serveHelp = (await runCli(['serve', '-h'])).stdout;
    for (const flag of ['--port', '--host', '--threads', '--watch', '--call-timeout', '--admin-token', '--json-logs', '--max-body']) {
      expect(serveHelp).toContain(flag);
    }
  });

  it('runs as an executable file (shebang) and prints its version', async () => {
    const direct = await runCli(['--version'], { bin: cliPath });
    expect(direct.code).toBe(0);
    expect(direct.stdout.trim()).toBe(packageVersion);
  });

  it('refuses usage mistakes in one line with exit code 2', async () => {
    const ws = workspace();
    ws.copy('serve-functions.ts', 'functions.ts');
    const cases: Array<[string[], RegExp]> = [
      [[], /^$/],
      [['frobnicate'], /^hotworker: unknown command 'frobnicate'; commands: serve, build/],
      [['serve', 'functions.ts', '--bogus'], /^hotworker serve: unknown option '--bogus' \(see hotworker serve --help\)$/],
      [['serve'], /^hotworker serve: missing <module>/],
      [['serve', 'functions.ts', '--port', 'abc'], /^hotworker serve: --port must be an integer from 0 to 65535, got 'abc'/],
      [['serve', 'functions.ts', '--port'], /^hotworker serve: option '-p, --port <value>' argument missing/],
      [['serve', 'functions.ts', '--threads', '0'], /^hotworker serve: --threads must be an integer >= 1/],
      [['serve', 'functions.ts', '--max-body', 'lots'], /^hotworker serve: --max-body must be a size/],
      [['serve', 'a.ts', 'b.ts'], /^hotworker serve: unexpected argument 'b.ts'/],
      [['build'], /^hotworker build: missing <module>/],
      [['status', '--url', 'not a url'], /^hotworker status: --url must be a URL/],
      [['upgrade', '--restart=yes'], /^hotworker upgrade: option '--restart' does not take an argument/],
    ];
    for (const [args, pattern] of cases) {
      const run = await runCli(args, { cwd: ws.dir });
      expect(run.code, args.join(' ')).toBe(2);
      if (args.length === 0) expect(run.stdout).toMatch(/^Usage: hotworker <command>/);
      else expectOneLine(run.stderr, pattern);
    }
  });

  it('fails in one line with exit code 1 on a missing module, a module that throws, or a port in use', async () => {
    const ws = workspace();
    ws.copy('serve-functions.ts', 'functions.ts');
    ws.write('throws.ts', "export function f() {}\nthrow new Error('bad config');\n");
    const missing = await runCli(['serve', 'nope.ts', '--port', '0'], { cwd: ws.dir });
    expect(missing.code).toBe(1);
    expectOneLine(missing.stderr, /^hotworker serve: ERR_HOT_BUILD: Cannot build .*nope\.ts: no such file/);

    const throws = await runCli(['serve', 'throws.ts', '--port', '0'], { cwd: ws.dir });
    expect(throws.code).toBe(1);
    expectOneLine(throws.stderr, /^hotworker serve: ERR_HOT_LOAD at throws\.ts:2:\d+: .*bad config/);

    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    ws.defer(() => new Promise((resolve) => taken.close(resolve)));
    const port = String((taken.address() as { port: number }).port);
    const inUse = await runCli(['serve', 'functions.ts', '--port', port], { cwd: ws.dir });
    expect(inUse.code).toBe(1);
    expectOneLine(inUse.stderr, new RegExp(`^hotworker serve: port ${port} on 127\\.0\\.0\\.1 is already in use`));
  });

  it('builds a module and prints its hash, exports, inputs and size', async () => {
    const ws = workspace();
    ws.write('helper.ts', 'export const twice = (n: number) => 2 * n;\n');
    ws.write('main.ts', "import { twice } from './helper.ts';\nexport function double(n: number) { return twice(n); }\n");
    const built = await runCli(['build', 'main.ts'], { cwd: ws.dir });
    expect(built.code).toBe(0);
    expect(built.stdout).toMatch(
      /^built main\.ts\n {2}hash {5}[0-9a-f]{16}\n {2}exports {2}double\n {2}inputs {3}(helper|main)\.ts\n {11}(helper|main)\.ts\n {2}size {5}\d+ B\n {2}bundle {3}\.hotworker\/main-[0-9a-f]{16}\.mjs\n$/,
    );

    const json = JSON.parse((await runCli(['build', 'main.ts', '--json'], { cwd: ws.dir })).stdout) as {
      exports: string[];
      inputs: string[];
      size: number;
    };
    expect(json.exports).toEqual(['double']);
    expect(json.inputs).toHaveLength(2);
    expect(json.size).toBeGreaterThan(0);

    ws.write('broken.ts', 'export function f( {\n');
    const broken = await runCli(['build', 'broken.ts'], { cwd: ws.dir });
    expect(broken.code).toBe(1);
    expectOneLine(broken.stderr, /^hotworker build: ERR_HOT_BUILD: Build of .*broken\.ts failed: broken\.ts:2:\d+: /);
  });

  it('upgrades, rolls back and shows the status of a running server', async () => {
    const ws = workspace();
    const entry = ws.copy('serve-counter.ts', 'counter.ts');
    const env = { HOTWORKER_ADMIN_TOKEN: 'tok3n-tok3n-tok3n' };
    const server = await startServe(['counter.ts', '--threads', '1'], { cwd: ws.dir, env });
    ws.defer(() => server.stop('SIGKILL'));
    const admin = (...args: string[]) => runCli([...args, '--url', server.url], { env });

    const unchanged = await admin('upgrade');
    expect(unchanged).toMatchObject({ code: 0, stdout: expect.stringMatching(/^unchanged: v1 \(\w{8}\) keeps serving\n$/) });
    writeFileSync(entry, readFileSync(entry, 'utf8').replace("'one'", "'two'"));
    const upgraded = await admin('upgrade');
    expect(upgraded).toMatchObject({ code: 0, stdout: expect.stringMatching(/^upgraded v1 \(\w{8}\) → v2 \(\w{8}\)\n$/) });
    const restarted = JSON.parse((await admin('upgrade', '--restart', '--json')).stdout) as { version: { id: number } };
    expect(restarted.version.id).toBe(3);

    const status = await admin('status');
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(
      /^module {4}.*counter\.ts \(pid \d+, up \d+ s\)\nversion {3}v3 \(\w{8}\), 1 thread, 0 calls in flight\n/m,
    );
    expect(status.stdout).toMatch(/^upgrades {2}2 done, 1 unchanged, 0 failed; rollbacks 0 done, 0 failed$/m);
    expect(status.stdout).toMatch(/^crashes {3}0 workers replaced after dying, 0 call re-sends to a live worker$/m);

    const rolledBack = await admin('rollback');
    expect(rolledBack).toMatchObject({ code: 0, stdout: expect.stringMatching(/^rolled back v3 \(\w{8}\) → v2 \(\w{8}\)\n$/) });

    const wrongToken = await runCli(['status', '--url', server.url, '--admin-token', 'nope']);
    expect(wrongToken.code).toBe(1);
    expectOneLine(wrongToken.stderr, /^hotworker status: The admin API needs/);

    await server.stop();
    const refused = await admin('status');
    expect(refused.code).toBe(1);
    expectOneLine(refused.stderr, /^hotworker status: cannot reach http:\/\/127\.0\.0\.1:\d+: connection refused/);
  });
});
