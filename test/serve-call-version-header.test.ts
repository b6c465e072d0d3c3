// A call answers with the version that ran it in `hotworker-version`: a request that arrived
// while version 1 was current, but whose body came after an upgrade, runs on version 2 and
// says so, for a result, a thrown error, and a result JSON cannot carry.
import { appendFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { serveFunctionsInProcess } from './support/serve.js';
import { workspace } from './support/workspace.js';

/** Sends a call's headers and waits for `100 Continue`: routed, its body not yet sent. */
async function routed(port: number, host: string, fn: string, body: string): Promise<{ socket: Socket; answer: Promise<string> }> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.setEncoding('utf8');
  let text = '';
  const continued = new Promise<void>((resolve) => {
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (text.startsWith('HTTP/1.1 100 Continue\r\n\r\n')) resolve();
    });
  });
  const answer = new Promise<string>((resolve) => socket.once('end', () => resolve(text)));
  socket.write(
    `POST /call/${fn} HTTP/1.1\r\nhost: ${host}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nexpect: 100-continue\r\n\r\n`,
  );
  await continued;
  return { socket, answer };
}

describe('serve: the version header of a call', () => {
  it('names the version the call ran on, not the one current when its request arrived', async () => {
    const ws = workspace();
    const server = await serveFunctionsInProcess(ws);
    const { host, port } = new URL(server.url);
    const calls = [
      { fn: 'add', body: '[1,2]', status: 200 },
      { fn: 'fail', body: '["no"]', status: 500 },
      { fn: 'bigint', body: '[]', status: 500 },
    ];
    const sent = await Promise.all(calls.map(({ fn, body }) => routed(Number(port), host, fn, body)));

    appendFileSync(server.module.entry, '\nexport const changed = true;\n');
    expect((await server.upgrade('test')).changed).toBe(true);
    for (const [i, { socket }] of sent.entries()) socket.write(calls[i]?.body ?? '');
    const answers = await Promise.all(sent.map(({ answer }) => answer));

    for (const [i, text] of answers.entries()) {
      const final = text.slice(text.indexOf('HTTP/1.1', 1));
      expect(final, calls[i]?.fn).toMatch(new RegExp(`^HTTP/1\\.1 ${calls[i]?.status} `));
      expect(/\r\nhotworker-version: (\S+)\r\n/i.exec(final)?.[1], calls[i]?.fn).toMatch(/^2-[0-9a-f]{8}$/);
    }
  });
});
