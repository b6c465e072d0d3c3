/**
 * The config file of `hotworker serve`: a JSON object whose keys are the camelCase option
 * names of the command's flags (`port`, `callTimeout`, …). Values are read by the same
 * readers as the flags; flags given on the command line win over it.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { UsageError } from './args.js';
import type { FlagTable } from './flags.js';
import { didYouMean } from './suggest.js';

/** The file `serve` reads when no `--config` is given, looked for beside the entry. */
export const CONFIG_FILE = 'hotworker.config.json';

/** A config file read: where from, and its option values by camelCase name. */
export interface LoadedConfig {
  readonly file: string | undefined;
  readonly options: Record<string, unknown>;
}

/**
 * Reads `explicit` (from `--config`; it must exist) or else `hotworker.config.json` beside
 * `entry` (optional). Unknown keys and bad values throw {@link UsageError}, naming the file.
 */
export function loadConfig(table: FlagTable, entry: string, explicit: string | undefined): LoadedConfig {
  const file = explicit ?? join(dirname(entry), CONFIG_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (explicit === undefined && code === 'ENOENT') return { file: undefined, options: {} };
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message;
    throw new UsageError(`cannot read config file ${shown(file)}: ${why}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`config file ${shown(file)} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new UsageError(`config file ${shown(file)} must hold a JSON object of options, such as {"port": 8080}`);
  }
  const keys = table.filter((flag) => flag.inConfig !== false);
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json)) {
    const flag = keys.find((candidate) => candidate.option === key);
    if (flag === undefined) {
      const known = keys.map((candidate) => candidate.option);
      throw new UsageError(`unknown key '${key}' in config file ${shown(file)}${didYouMean(key, known)} (keys: ${known.join(', ')})`);
    }
    options[key] = flag.read(value, `'${key}' in ${shown(file)}`);
  }
  return { file, options };
}

function shown(file: string): string {
  const path = relative(process.cwd(), file);
  return path === '' || path.startsWith('..') ? file : path;
}
