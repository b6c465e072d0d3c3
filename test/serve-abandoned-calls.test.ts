// A caller that gives up does not leave its call running; serve bounds every call by default;
// SIGTERM with a stuck call in flight exits at its deadline and names the call it killed.
import { describe, expect, it } from 'vitest';
import { call, eventually, runCli, startCall, startServe } from './support/serve.js';
import { workspace } from './support/workspace.js';

interface Status {
  inFlight: number;
  queued: number;
  callTimeoutMs: number | null;
}

async function status(url: string): Promise<Status> {
  return (await (await fetch(`${url}/_hot/status`)).json()) as Status;
}

describe('serve: abandoned and stuck calls', () => {
  it('aborts the calls of clients that disconnect: the running one ends its worker, the queued one is dropped', async () => {
    const ws = workspace();
    ws.copy('serve-functions.ts', 'functions.ts');
    const server = await startServe(['functions.ts', '--threads', '1', '--call-timeout', '0'], { cwd: ws.dir });
    ws.defer(() => server.stop('SIGKILL'));
    const spinning = [startCall(server.url, 'spin', [600_000]), startCall(server.url, 'spin', [600_000])];
    await eventually(async () => ((await status(server.url)).inFlight === 2 ? true : undefined), 'two spinning calls, one queued', 10_000);
    expect((await status(server.url)).queued).toBe(1);
    for (const client of spinning) client.abandon();
    await eventually(async () => ((await status(server.url)).inFlight === 0 ? true : undefined), 'the abandoned calls gone', 10_000);
    // With the one thread still spinning, this call would wait for good.
    const answer = await call(server.url, 'add', [1, 2]);
    expect(answer).toMatchObject({ status: 200, body: 3 });
  });

  it('bounds every call at 30 s by default; --call-timeout sets it, 0 lifts it, and a timer-overflowing value is refused', async () => {
    const ws = workspace();
    ws.copy('serve-functions.ts', 'functions.ts');
    const plain = await startServe(['functions.ts', '--threads', '1'], { cwd: ws.dir });
    ws.defer(() => plain.stop('SIGKILL'));
    expect((await status(plain.url)).callTimeoutMs).toBe(30_000);
    await plain.stop();

    const none = await startServe(['functions.ts', '--threads', '1', '--call-timeout', '0'], { cwd: ws.dir });
    ws.defer(() => none.stop('SIGKILL'));
    expect((await status(none.url)).callTimeoutMs).toBeNull();
    await none.stop();

    const short = await startServe(['functions.ts', '--threads', '2', '--call-timeout', '200'], { cwd: ws.dir });
    ws.defer(() => short.stop('SIGKILL'));
    expect((await call(short.url, 'spin', [600_000])).status).toBe(504);
    expect((await call(short.url, 'add', [1, 2])).body).toBe(3);
    await short.stop();

    const overflow = await runCli(['serve', 'functions.ts', '--call-timeout', '3000000000'], { cwd: ws.dir });
    expect(overflow.code).toBe(2);
    expect(overflow.stderr).toMatch(/--call-timeout must be an integer from 0 to 2147483647, got '3000000000'/);
  });

  it('on SIGTERM with a stuck call, exits at the shutdown deadline and names the call it killed', async () => {
    const ws = workspace();
    ws.copy('serve-functions.ts', 'functions.ts');
    const server = await startServe(['functions.ts', '--threads', '1', '--shutdown-timeout', '300'], { cwd: ws.dir });
    ws.defer(() => server.stop('SIGKILL'));
    const stuck = call(server.url, 'spin', [600_000]).catch((error: Error) => error);
    await eventually(async () => ((await status(server.url)).inFlight === 1 ? true : undefined), 'the stuck call in flight', 10_000);
    server.child.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 1, signal: null });
    expect(server.lines).toContainEqual(
      expect.stringMatching(
        /^\S+Z warning: 1 of 1 request still open after 300 ms; cutting them; killing spin\(\) on 1-\w{8}, running \d+\.\d s$/,
      ),
    );
    await stuck;
  });
});
