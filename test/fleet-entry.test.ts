// The fleet is its own layer: `import 'hotworker'` loads neither BullMQ nor ioredis (library
// users who never touch a fleet do not pay for it); `hotworker/fleet` loads both.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Imports `specifier` from the package root in a fresh Node and lists every module URL the loader resolved. */
function loadedBy(specifier: string): string[] {
  // A resolve hook (off-thread) posts every resolved URL back on a port given at registration.
  const hooks = `export async function initialize({ port }) { globalThis.port = port; }
export async function resolve(specifier, context, next) { const r = await next(specifier, context); globalThis.port.postMessage(r.url); return r; }`;
  const script = `
import { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
const { port1, port2 } = new MessageChannel();
const urls = [];
port1.on('message', (url) => urls.push(url));
port1.unref();
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hooks)}), { data: { port: port2 }, transferList: [port2] });
await import(${JSON.stringify(specifier)});
await new Promise((resolve) => setTimeout(resolve, 200));
process.stdout.write(JSON.stringify(urls));`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as string[];
}

describe('entry points', () => {
  it("'hotworker' loads no BullMQ or ioredis module", () => {
    const urls = loadedBy('hotworker');
    expect(urls.some((url) => url.includes('/dist/src/index.js'))).toBe(true);
    expect(urls.filter((url) => /node_modules\/(bullmq|ioredis)\//.test(url))).toEqual([]);
  });

  it("'hotworker/fleet' loads them (the check above can see them)", () => {
    const urls = loadedBy('hotworker/fleet');
    expect(urls.some((url) => url.includes('node_modules/bullmq/'))).toBe(true);
    expect(urls.some((url) => url.includes('node_modules/ioredis/'))).toBe(true);
  });
});
