import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildArtifact } from 'hotworker';
import { describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

const fixtures = dirname(fileURLToPath(new URL('./fixtures/math.ts', import.meta.url)));

describe('build', () => {
  it('writes one content-hashed bundle; identical source gives the identical hash', async () => {
    const ws = workspace();
    const entry = ws.copy('math.ts');
    const first = await buildArtifact(entry, ws.cacheDir);
    const again = await buildArtifact(entry, ws.cacheDir);
    expect(first.hash).toMatch(/^[0-9a-f]{16}$/);
    expect(again.hash).toBe(first.hash);
    expect(first.file).toBe(join(ws.cacheDir, `math-${first.hash}.mjs`));
    expect(existsSync(first.file)).toBe(true);
    expect(first.size).toBe(readFileSync(first.file).byteLength);

    ws.write('math.ts', `${ws.fixture('math.ts')}\nexport const changed = true;\n`);
    expect((await buildArtifact(entry, ws.cacheDir)).hash).not.toBe(first.hash);
  });

  it('lists exports from the metafile without running the module', async () => {
    const ws = workspace();
    const artifact = await buildArtifact(ws.copy('throws-at-load.ts'), ws.cacheDir);
    expect(artifact.exports).toEqual(['never']);
  });

  it('bundles local imports and lists every input file', async () => {
    const ws = workspace();
    const artifact = await buildArtifact(join(fixtures, 'with-helper.ts'), ws.cacheDir);
    expect(artifact.exports).toEqual(['default', 'quadruple']);
    expect([...artifact.inputs].sort()).toEqual([join(fixtures, 'helpers/double.ts'), join(fixtures, 'with-helper.ts')]);
    const mod = await ws.hot<typeof import('./fixtures/with-helper.ts')>(join(fixtures, 'with-helper.ts'), { threads: 1 });
    expect(await mod.api.quadruple(3)).toBe(12);
    expect(await mod.api.default()).toBe('default export');
  });

  it('keeps packages external, imported by URL so they resolve from a cache directory anywhere', async () => {
    const ws = workspace();
    const entry = join(fixtures, 'uses-package.ts');
    const artifact = await buildArtifact(entry, ws.cacheDir);
    const bundle = readFileSync(artifact.file, 'utf8');
    expect(bundle).toMatch(/from "file:\/\/[^"]*node_modules\/comlink\//);
    expect(artifact.inputs).toEqual([entry]);
    const mod = await ws.hot<typeof import('./fixtures/uses-package.ts')>(entry, { threads: 1 });
    expect(await mod.api.hasExpose()).toBe(true);
  });

  it('builds a module that imports a package to the same bundle the first time and the next', async () => {
    const ws = workspace();
    const entry = ws.write('pkg.ts', ws.fixture('uses-package.ts'));
    symlinkSync(fileURLToPath(new URL('../node_modules', import.meta.url)), join(ws.dir, 'node_modules'), 'dir');
    const first = await buildArtifact(entry, ws.cacheDir);
    const again = await buildArtifact(entry, ws.cacheDir);
    expect(again.hash).toBe(first.hash);
    expect(readFileSync(again.file, 'utf8')).toMatch(/from "file:\/\/[^"]*node_modules\/comlink\//);
  });

  it.each([
    ['without a package', ''],
    ['beside a package', "import * as Comlink from 'comlink';\nexport const expose = typeof Comlink.expose;\n"],
  ])('bundles a tsconfig `paths` alias like a relative import, %s', async (_, extra) => {
    const ws = workspace();
    symlinkSync(fileURLToPath(new URL('../node_modules', import.meta.url)), join(ws.dir, 'node_modules'), 'dir');
    ws.write('tsconfig.json', JSON.stringify({ compilerOptions: { baseUrl: '.', paths: { '@lib/*': ['lib/*'] } } }));
    mkdirSync(join(ws.dir, 'lib'));
    ws.write('lib/greet.ts', "export const greet = (name: string): string => 'hi ' + name;\n");
    const entry = ws.write(
      'aliased.ts',
      `import { greet } from '@lib/greet';\n${extra}export function hello(name: string): string { return greet(name); }\n`,
    );
    const artifact = await buildArtifact(entry, ws.cacheDir);
    expect(artifact.inputs).toContain(join(ws.dir, 'lib/greet.ts'));
    expect(readFileSync(artifact.file, 'utf8')).not.toContain('lib/greet.ts"');
    const mod = await ws.hot<{ hello(name: string): string }>(entry, { threads: 1 });
    expect(await mod.api.hello('you')).toBe('hi you');
  });

  it('rejects ERR_HOT_BUILD naming file, line and column', async () => {
    const ws = workspace();
    const entry = ws.copy('syntax-error.ts');
    const error = await buildArtifact(entry, ws.cacheDir).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'ERR_HOT_BUILD' });
    expect((error as Error).message).toMatch(/syntax-error\.ts:3:\d+: Expected "}" but found ";"/);
  });
});
