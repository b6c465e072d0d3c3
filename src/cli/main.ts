#!/usr/bin/env node
/**
 * The `hotworker` command. Mistakes (an unknown flag, a missing module, a port in use, a
 * build error) are told in one line, never as a stack trace: exit 2 for usage, 1 otherwise.
 *
 * Only light modules are imported up front, so `--help` and the admin clients start fast;
 * each command imports the library (esbuild, piscina, prom-client) when it runs.
 */
import { readFileSync } from 'node:fs';
import { rollback, status, upgrade } from './admin.js';
import { CommandError, UsageError } from './args.js';
import { build } from './build.js';
import type { Command } from './command.js';
import { serve } from './serve.js';

const commands: readonly Command[] = [serve, build, upgrade, rollback, status];

function usage(): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  return `Usage: hotworker <command> [options]

Hosts a module in worker-thread pools and upgrades it while it serves.

Commands:
${commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`).join('\n')}

Run "hotworker <command> --help" for a command's options.
  -h, --help       show this help
  -v, --version    print hotworker's version`;
}

async function main(argv: readonly string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help') {
    process.stdout.write(`${usage()}\n`);
    return first === undefined ? 2 : 0;
  }
  if (first === '-v' || first === '--version') {
    const manifest = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    process.stdout.write(`${manifest.version}\n`);
    return 0;
  }
  if (first === 'help') return main(rest.length > 0 ? [rest[0] as string, '--help'] : ['--help']);
  const command = commands.find((candidate) => candidate.name === first);
  if (command === undefined) {
    return await fail('hotworker', new UsageError(`unknown command '${first}'; commands: ${commands.map((c) => c.name).join(', ')}`));
  }
  try {
    return await command.run(rest);
  } catch (error) {
    return await fail(`hotworker ${command.name}`, error, command.optionNames);
  }
}

/**
 * Prints a failure on stderr and returns the exit code: one line for a mistake the user can
 * act on (2 for usage, 1 otherwise); the stack for anything else, a bug in hotworker.
 */
async function fail(who: string, error: unknown, optionNames: Readonly<Record<string, string>> = {}): Promise<number> {
  if (error instanceof UsageError) {
    process.stderr.write(`${who}: ${error.message} (see ${who} --help)\n`);
    return 2;
  }
  if (error instanceof CommandError) {
    process.stderr.write(`${who}: ${error.message}\n`);
    return 1;
  }
  const { HotError } = await import('../index.js');
  const { ServeError } = await import('../serve/server.js');
  const { failureLine, summarizeFailure } = await import('../serve/failure.js');
  if (HotError.is(error)) {
    process.stderr.write(`${who}: ${failureLine(summarizeFailure(error, optionNames))}\n`);
    return 1;
  }
  if (error instanceof ServeError) {
    process.stderr.write(`${who}: ${error.message}\n`);
    return 1;
  }
  process.stderr.write(`${who}: unexpected failure, please report it: ${(error as Error)?.stack ?? String(error)}\n`);
  return 1;
}

/** Exits once stdout and stderr have flushed (a pipe may still hold the last lines). */
function exit(code: number): void {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

main(process.argv.slice(2)).then(exit, async (error: unknown) => exit(await fail('hotworker', error)));
