// A call answers with the version that ran it in `hotworker-version`, even when an upgrade
// made another version current while it ran: for a result, a thrown error, and a result JSON
// cannot carry.
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { call, serveFunctionsInProcess } from './support/serve.js';
import { workspace } from './support/workspace.js';

describe('serve: the version header of a call an upgrade overtook', () => {
  it('names the version the call ran on, not the one current when it answers', async () => {
    const ws = workspace();
    const server = await serveFunctionsInProcess(ws, { entry: ws.copy('serve-held.ts', 'held.ts'), threads: 3 });
    const release = join(ws.dir, 'release');
    const before = (await call(server.url, 'nothing-here')).version;
    const calls = [
      call(server.url, 'answers', [release]),
      call(server.url, 'throws', [release]),
      call(server.url, 'unsendable', [release]),
    ];
    await expect.poll(() => server.openCalls.size, { timeout: 10_000 }).toBe(3);

    appendFileSync(server.module.entry, '\nexport const changed = true;\n');
    const upgraded = server.upgrade('test');
    await expect.poll(() => server.module.version.id, { timeout: 20_000 }).toBe(2);
    writeFileSync(release, '');
    const [answered, thrown, unsendable] = await Promise.all(calls);
    await upgraded;

    expect(before).toMatch(/^1-[0-9a-f]{8}$/);
    expect([answered?.status, thrown?.status, unsendable?.status]).toEqual([200, 500, 500]);
    expect(unsendable?.body).toMatchObject({ error: { code: 'ERR_SERVE_RESULT' } });
    expect([answered?.version, thrown?.version, unsendable?.version]).toEqual([before, before, before]);
    expect((await call(server.url, 'nothing-here')).version).toMatch(/^2-[0-9a-f]{8}$/);
  });
});
