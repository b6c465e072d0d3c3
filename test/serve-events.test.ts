// GET /_hot/events: the status page's server-sent events, read through a real socket.
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startServe } from './support/serve.js';
import { workspace } from './support/workspace.js';

interface Frame {
  event: string;
  data: Record<string, unknown>;
}

/** Reads frames from an event stream as they arrive. */
async function* frames(response: Response): AsyncGenerator<Frame> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body as ReadableStream<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(frame)?.[1];
      const data = /^data: (.*)$/m.exec(frame)?.[1];
      if (event !== undefined && data !== undefined) yield { event, data: JSON.parse(data) };
    }
  }
}

async function next(stream: AsyncGenerator<Frame>, event: string): Promise<Frame> {
  for (;;) {
    const { value, done } = await stream.next();
    if (done) throw new Error(`the stream ended before a ${event} event`);
    if (value.event === event) return value;
  }
}

describe('serve: /_hot/events', () => {
  it('sends the state, then every upgrade and failure as it happens, and figures each second', async () => {
    const ws = workspace();
    const entry = ws.copy('serve-counter.ts', 'counter.ts');
    const server = await startServe(['counter.ts', '--threads', '1'], { cwd: ws.dir });
    ws.defer(() => server.stop('SIGKILL'));
    const response = await fetch(`${server.url}/_hot/events`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const stream = frames(response);
    ws.defer(() => stream.return(undefined));

    const hello = await next(stream, 'hello');
    expect(hello.data.status).toMatchObject({ version: { id: 1 }, recent: [] });
    expect(hello.data.activity).toEqual([]);

    await fetch(`${server.url}/call/mark`, { method: 'POST' });
    const tick = await next(stream, 'tick');
    expect(tick.data.status).toMatchObject({ version: { id: 1 } });
    expect(tick.data.figures).toEqual([expect.objectContaining({ version: expect.stringMatching(/^1-/), errors: 0 })]);

    writeFileSync(
      entry,
      "export const MARK = 'two';\nexport function mark() { return MARK; }\nexport function add(a: number, b: number) { return a + b; }\n",
    );
    await fetch(`${server.url}/_hot/upgrade`, { method: 'POST' });
    const upgrade = await next(stream, 'upgrade');
    expect(upgrade.data).toMatchObject({
      kind: 'upgrade',
      trigger: 'admin',
      from: expect.stringMatching(/^1-/),
      to: expect.stringMatching(/^2-/),
      killed: 0,
    });

    writeFileSync(entry, 'export function mark( {');
    await fetch(`${server.url}/_hot/upgrade`, { method: 'POST' });
    const failed = await next(stream, 'upgrade-failed');
    expect(failed.data).toMatchObject({ kind: 'upgrade-failed', code: 'ERR_HOT_BUILD', serving: expect.stringMatching(/^2-/) });

    const status = (await (await fetch(`${server.url}/_hot/status`)).json()) as { recent: { kind: string }[] };
    expect(status.recent.map((entry) => entry.kind)).toEqual(['upgrade', 'upgrade-failed']);
  });

  it('never holds up a shutdown: open streams end and the server exits cleanly', async () => {
    const ws = workspace();
    ws.copy('serve-counter.ts', 'counter.ts');
    const server = await startServe(['counter.ts', '--threads', '1'], { cwd: ws.dir });
    ws.defer(() => server.stop('SIGKILL'));
    const response = await fetch(`${server.url}/_hot/events`);
    const stream = frames(response);
    await next(stream, 'hello');
    const exit = await server.stop('SIGTERM');
    expect(exit.code).toBe(0);
    expect(server.lines.some((line) => line.includes('shutdown-forced') || line.includes('still open'))).toBe(false);
    await expect(stream.next()).resolves.toMatchObject({ done: true });
  });

  it('is an admin route: refused without the token when one is set', async () => {
    const ws = workspace();
    ws.copy('serve-counter.ts', 'counter.ts');
    const server = await startServe(['counter.ts', '--threads', '1', '--admin-token', 'correct-horse-battery-staple'], { cwd: ws.dir });
    ws.defer(() => server.stop('SIGKILL'));
    const refused = await fetch(`${server.url}/_hot/events`);
    expect(refused.status).toBe(401);
    const page = await fetch(`${server.url}/_hot/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(await page.text()).toContain('content="token"');
  });
});
