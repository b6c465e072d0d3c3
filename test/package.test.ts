// The package as a user gets it: `npm pack`, installed into a brand-new project (from the
// tarball, dependencies from the npm cache), then used from ESM, from CommonJS, type-checked
// against the shipped declarations, and run as `npx hotworker --help`.

import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);
/** npm and a cold install are slow on a loaded 2-core machine; this bounds a hang, it measures nothing. */
const INSTALL_TIMEOUT_MS = 120_000;

const consumerSources: Record<string, string> = {
  'package.json': JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  'math.mjs': 'export function add(a, b) { return a + b; }\n',
  'math.cjs': 'module.exports = { mul: (a, b) => a * b };\n',
  'esm.mjs': `import { hot, HotError } from 'hotworker';
const math = await hot(new URL('./math.mjs', import.meta.url), { threads: 1 });
const sum = await math.api.add(2, 3);
const error = await math.call('nope').catch((caught) => caught);
await math.close();
console.log(JSON.stringify({ sum, code: error.code, brand: error instanceof HotError }));
`,
  'cjs.cjs': `const { hot } = require('hotworker');
(async () => {
  const math = await hot(require('node:path').join(__dirname, 'math.cjs'), { threads: 1 });
  const product = await math.api.mul(4, 5);
  await math.close();
  console.log(JSON.stringify({ product, exports: math.version.exports }));
})();
`,
  'typed.ts': 'export function add(a: number, b: number): number {\n  return a + b;\n}\n',
  'consumer.ts': `import { hot, HotError, type HotModule } from 'hotworker';

const math: HotModule<typeof import('./typed.ts')> = await hot<typeof import('./typed.ts')>(new URL('./typed.ts', import.meta.url));
const sum: number = await math.api.add(1, 2);
// @ts-expect-error add takes numbers
await math.api.add('1', 2);
// @ts-expect-error typed.ts exports no sub
await math.api.sub(1, 2);
console.log(sum, HotError.is(new Error()));
await math.close();
`,
  'tsconfig.json': JSON.stringify({
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      noEmit: true,
      allowImportingTsExtensions: true,
      // What the README asks of consumers: Node's types (here the repository's @types/node).
      types: ['node'],
      typeRoots: [join(root, 'node_modules/@types')],
    },
    files: ['consumer.ts'],
  }),
};

describe('the published package', () => {
  it(
    'installs from its tarball and works from ESM, CommonJS, TypeScript and npx',
    async () => {
      const ws = workspace();
      const { stdout: packed } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', ws.dir], { cwd: root });
      const [{ filename, files }] = JSON.parse(packed) as [{ filename: string; files: { path: string }[] }];
      const paths = files.map((file) => file.path);
      expect(paths).toEqual(
        expect.arrayContaining(['LICENSE', 'README.md', 'dist/src/index.js', 'dist/workers/dispatch.cjs', 'src/index.ts']),
      );
      expect(readFileSync(join(root, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
      expect(paths.filter((path) => /(^|\/)(test|fixtures|bench)\//.test(path))).toEqual([]);
      // Stack traces map to files that ship: every source a map names is in the tarball, or inlined.
      for (const map of paths.filter((path) => path.endsWith('.js.map') || path.endsWith('.cjs.map'))) {
        const { sources, sourcesContent } = JSON.parse(readFileSync(join(root, map), 'utf8')) as {
          sources: string[];
          sourcesContent?: string[];
        };
        for (const [index, source] of sources.entries()) {
          const shipped = paths.includes(join(dirname(map), source)) || typeof sourcesContent?.[index] === 'string';
          expect(shipped, `${map} → ${source}`).toBe(true);
        }
      }

      const app = join(ws.dir, 'consumer');
      await run('mkdir', [app]);
      for (const [name, text] of Object.entries(consumerSources)) writeFileSync(join(app, name), text);
      await run('npm', ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', join(ws.dir, filename)], {
        cwd: app,
      });

      const node = (script: string) => run(process.execPath, [script], { cwd: app }).then(({ stdout }) => JSON.parse(stdout));
      const [esm, cjs, typecheck, help] = await Promise.all([
        node('esm.mjs'),
        node('cjs.cjs'),
        run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', app]).then(
          () => 'clean',
          (error: { stdout: string }) => error.stdout,
        ),
        run('npx', ['--offline', 'hotworker', '--help'], { cwd: app }),
      ]);
      expect(esm).toEqual({ sum: 5, code: 'ERR_HOT_NO_EXPORT', brand: true });
      expect(cjs).toEqual({ product: 20, exports: ['mul'] });
      expect(typecheck).toBe('clean');
      expect(help.stdout).toMatch(/^Usage: hotworker <command>/);
    },
    INSTALL_TIMEOUT_MS,
  );
});
