// serve: a client that closes its connection mid-call. Its queued call is dropped at once; its
// running call has --abandon-grace (1 s by default) to finish before its worker is ended, so a
// client that leaves costs no thread boot for a call about to finish.
import { describe, expect, it } from 'vitest';
import { call, eventually, runCli, type ServeProcess, serveFunctionsInProcess, startCall, startServe } from './support/serve.js';
import { type Workspace, workspace } from './support/workspace.js';

interface Status {
  inFlight: number;
  queued: number;
  abandonGraceMs: number;
}

async function status(url: string): Promise<Status> {
  return (await (await fetch(`${url}/_hot/status`)).json()) as Status;
}

/** Waits until `/_hot/status` shows `inFlight` calls, `queued` of them waiting for a thread. */
function untilInFlight(url: string, inFlight: number, queued = 0): Promise<true> {
  return eventually(
    async () => {
      const now = await status(url);
      return now.inFlight === inFlight && now.queued === queued ? true : undefined;
    },
    `${inFlight} calls in flight, ${queued} queued`,
    10_000,
  );
}

async function serveOneThread(ws: Workspace, extra: string[] = []): Promise<ServeProcess> {
  ws.copy('serve-abandoned.ts', 'functions.ts');
  const server = await startServe(['functions.ts', '--threads', '1', '--no-standby', ...extra], { cwd: ws.dir });
  ws.defer(() => server.stop('SIGKILL'));
  return server;
}

async function threadOf(url: string): Promise<number> {
  const answer = await call(url, 'thread', []);
  expect(answer.status).toBe(200);
  return answer.body as number;
}

/**
 * A client starts `wait(ms)`, and closes its connection once the call runs: the serving thread
 * before, and the one that answers once the call is gone from `/_hot/status`.
 */
async function threadsAroundAbandonedCall(url: string, ms: number): Promise<{ before: number; after: number }> {
  const before = await threadOf(url);
  const client = startCall(url, 'wait', [ms]);
  await untilInFlight(url, 1);
  client.abandon();
  await untilInFlight(url, 0);
  return { before, after: await threadOf(url) };
}

describe('serve: the grace of an abandoned call', () => {
  it('by default, a running call that finishes within the grace keeps its worker', async () => {
    const ws = workspace();
    const server = await serveOneThread(ws);
    expect((await status(server.url)).abandonGraceMs).toBe(1_000);
    const { before, after } = await threadsAroundAbandonedCall(server.url, 200);
    expect(after).toBe(before);
  });

  it('--abandon-grace 0 ends the worker of a running call at once', async () => {
    const ws = workspace();
    const server = await serveOneThread(ws, ['--abandon-grace', '0']);
    expect((await status(server.url)).abandonGraceMs).toBe(0);
    const { before, after } = await threadsAroundAbandonedCall(server.url, 600_000);
    expect(after).not.toBe(before);
  });

  it('drops a queued call at once, however long the grace', async () => {
    const ws = workspace();
    const server = await serveOneThread(ws, ['--abandon-grace', '600000']);
    startCall(server.url, 'wait', [600_000]);
    const queued = startCall(server.url, 'wait', [1]);
    await untilInFlight(server.url, 2, 1);
    queued.abandon();
    // With a 10-minute grace, only dropping the queued call at once gets here.
    await untilInFlight(server.url, 1, 0);
  });

  it('refuses a grace that is not a whole number of milliseconds, from the flag and from the library', async () => {
    const ws = workspace();
    ws.copy('serve-abandoned.ts', 'functions.ts');
    for (const bad of ['-1', '1.5', '3000000000']) {
      const refused = await runCli(['serve', 'functions.ts', `--abandon-grace=${bad}`], { cwd: ws.dir });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain(`--abandon-grace must be an integer from 0 to 2147483647, got '${bad}'`);
    }
    await expect(serveFunctionsInProcess(ws, { abandonGrace: -1 })).rejects.toMatchObject({
      code: 'ERR_HOT_INVALID_OPTION',
      message: 'Expected `abandonGrace` to be an integer from 0 to 2147483647 (milliseconds), got `-1` (number)',
    });
  });
});
