/**
 * `hotworker build <module>`: bundles the module as `serve` would, and shows what came out,
 * without running any of its code.
 */
import { relative, resolve } from 'node:path';
import { displayPath } from '../serve/log.js';
import { parse, text, UsageError } from './args.js';
import type { Command } from './command.js';

const help = `Usage: hotworker build <module> [options]

Bundles <module> and every local file it imports (esbuild) into a content-hashed file,
and prints its hash, exports, input files and size. Runs none of the module's code.
Exits 1 with the file:line:column of the first error when the build fails.

Options:
      --cache-dir <dir>   where the bundle is written (default: .hotworker)
      --json              print the result as JSON
  -h, --help              show this help`;

export const build: Command = {
  name: 'build',
  summary: 'bundle a module and print its hash, exports, inputs and size',
  help,
  async run(argv) {
    const { values, positionals } = parse(argv, { 'cache-dir': { type: 'string' }, json: { type: 'boolean' } }, 1);
    if (values.help === true) {
      process.stdout.write(`${help}\n`);
      return 0;
    }
    const entry = positionals[0];
    if (entry === undefined) throw new UsageError('missing <module>: hotworker build <module> [options]');
    const { buildArtifact } = await import('../index.js');
    const artifact = await buildArtifact(resolve(entry), resolve(text(values, 'cache-dir') ?? '.hotworker'));
    if (values.json === true) {
      process.stdout.write(`${JSON.stringify(artifact, null, 2)}\n`);
      return 0;
    }
    const inputs = artifact.inputs.map(displayPath);
    process.stdout.write(
      [
        `built ${displayPath(artifact.entry)}`,
        `  hash     ${artifact.hash}`,
        `  exports  ${artifact.commonjs ? '(CommonJS: the properties of module.exports, known once it loads)' : artifact.exports.join(', ') || '(none)'}`,
        `  inputs   ${inputs[0] ?? '(none)'}`,
        ...inputs.slice(1).map((input) => `           ${input}`),
        `  size     ${formatSize(artifact.size)}`,
        `  bundle   ${relative(process.cwd(), artifact.file)}`,
        '',
      ].join('\n'),
    );
    return 0;
  },
};

function formatSize(size: number): string {
  if (size < 1024) return `${size} B`;
  const kib = size / 1024;
  return kib < 1024 ? `${kib.toFixed(1)} KiB (${size} B)` : `${(kib / 1024).toFixed(2)} MiB (${size} B)`;
}
