// Every module a user has works: CommonJS modules serve their named functions, a module
// with nothing to call is refused at start and at upgrade, and hotworker itself loads
// through require() from a .cjs file.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { call, startServe } from './support/serve.js';
import { workspace } from './support/workspace.js';

describe('CommonJS modules', () => {
  it('serve the properties of module.exports by name, exports listed as the module has them', async () => {
    const ws = workspace();
    const math = await ws.hot<{ add(a: number, b: number): number; mul(a: number, b: number): number }>(ws.copy('cjs-math.cjs'), {
      threads: 1,
    });
    expect(await math.api.add(2, 3)).toBe(5);
    expect(await math.api.mul(2, 3)).toBe(6);
    expect([...math.version.exports].sort()).toEqual(['VERSION', 'add', 'mul']);
    expect([...math.version.functions].sort()).toEqual(['add', 'mul']);
    await expect(math.call('VERSION' as never)).rejects.toMatchObject({ code: 'ERR_HOT_NO_EXPORT' });
  });

  it('an ES module whose default export is an object is not read as CommonJS: its named exports serve, the object is not spread', async () => {
    const ws = workspace();
    const entry = ws.write(
      'esm-default.ts',
      "export default { hidden: () => 'hidden' };\nexport function named(): string {\n  return 'named';\n}\n",
    );
    const module = await ws.hot(entry, { threads: 1 });
    expect(await module.call('named')).toBe('named');
    expect([...module.version.functions]).toEqual(['named']);
    await expect(module.call('hidden')).rejects.toMatchObject({ code: 'ERR_HOT_NO_EXPORT' });
  });

  it('an upgrade of a CommonJS module that drops an export is refused unless allowBreaking', async () => {
    const ws = workspace();
    const entry = ws.copy('cjs-exports.js');
    const module = await ws.hot(entry, { threads: 1 });
    expect(await module.call('greet', 'you')).toBe('hello you');
    ws.write('cjs-exports.js', 'exports.greet = (name) => "hi " + name;\n');
    await expect(module.upgrade()).rejects.toMatchObject({ code: 'ERR_HOT_INCOMPATIBLE', missing: ['shout'] });
    expect(module.version.id).toBe(1);
    expect(await module.call('greet', 'you')).toBe('hello you');
    await module.upgrade({ allowBreaking: true });
    expect(module.version).toMatchObject({ id: 2, exports: ['greet'], functions: ['greet'] });
    expect(await module.call('greet', 'you')).toBe('hi you');
  });

  it('a module with no exported function is refused at start and at upgrade, naming what it exports', async () => {
    const ws = workspace();
    await expect(ws.hot(ws.copy('no-functions.ts'), { threads: 1 })).rejects.toMatchObject({
      code: 'ERR_HOT_NO_EXPORT',
      message: expect.stringMatching(/no exported function to call: it exports VERSION, config, none of them a function/),
    });
    const entry = ws.copy('cjs-math.cjs', 'math.cjs');
    const module = await ws.hot(entry, { threads: 1 });
    ws.write('math.cjs', 'module.exports = { VERSION: 2 };\n');
    await expect(module.upgrade({ allowBreaking: true })).rejects.toMatchObject({ code: 'ERR_HOT_NO_EXPORT' });
    expect(await module.call('add', 1, 1)).toBe(2);
  });

  it('over HTTP: POST /call/<name> works, a 404 lists functions only and is not counted as an error', async () => {
    const ws = workspace();
    ws.copy('cjs-math.cjs', 'math.cjs');
    const server = await startServe(['math.cjs', '--threads', '1'], { cwd: ws.dir });
    ws.defer(() => server.stop());
    expect(await call(server.url, 'mul', [4, 5])).toMatchObject({ status: 200, body: 20 });
    for (const name of ['VERSION', 'nope']) {
      const missing = await call(server.url, name, []);
      expect(missing.status).toBe(404);
      expect((missing.body as { error: { message: string } }).error.message).toMatch(/exported functions: (add, mul|mul, add)$/);
    }
    const status = (await (await fetch(`${server.url}/_hot/status`)).json()) as { versions: { calls: number; errors: number }[] };
    expect(status.versions).toEqual([expect.objectContaining({ calls: 1, errors: 0 })]);
  });

  it("require('hotworker') works from a .cjs file", async () => {
    const ws = workspace();
    const script = new URL('./fixtures/scripts/require-hotworker.cjs', import.meta.url);
    const { stdout } = await promisify(execFile)(process.execPath, [script.pathname, ws.cacheDir]);
    expect(JSON.parse(stdout)).toEqual({ sum: 5, hotError: 'function' });
  });
});
