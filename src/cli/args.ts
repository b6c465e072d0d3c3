/**
 * Command-line parsing on `util.parseArgs` (strict): the command's options, one-line usage
 * errors, and the value checks every command shares.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { MAX_TIMEOUT_MS } from '../options.js';
import { didYouMean } from './suggest.js';

/** A mistake on the command line: printed as one line, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A failure the user can act on (a build error, a port in use): printed as one line, exit code 1. */
export class CommandError extends Error {
  override name = 'CommandError';
}

export type Options = NonNullable<ParseArgsConfig['options']>;

/** The parsed command line: option values by name, and the positionals. */
export interface Parsed {
  readonly values: Record<string, string | boolean | undefined>;
  readonly positionals: string[];
}

/**
 * Parses `argv` against `options` (plus `-h, --help`). Unknown options, missing values and
 * positionals beyond `maxPositionals` throw {@link UsageError} in one line.
 */
export function parse(argv: readonly string[], options: Options, maxPositionals: number): Parsed {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    throw new UsageError(firstSentence((error as Error).message) + suggestion(error as Error, options));
  }
  const values = parsed.values as Parsed['values'];
  if (values.help !== true && parsed.positionals.length > maxPositionals) {
    throw new UsageError(`unexpected argument '${parsed.positionals[maxPositionals]}'`);
  }
  return { values, positionals: parsed.positionals };
}

/** For an unknown option, the known one it most resembles (`--prot` → `--port`). */
function suggestion(error: Error, options: Options): string {
  const typed = /^Unknown option '(-{1,2}[^']+)'/.exec(error.message)?.[1];
  if (typed === undefined || (error as { code?: string }).code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return '';
  const known = Object.entries(options).flatMap(([name, option]) => [`--${name}`, ...(option.short ? [`-${option.short}`] : [])]);
  return didYouMean(typed, typed.startsWith('--') ? known.filter((k) => k.startsWith('--')) : known);
}

/** parseArgs explains at length; the first sentence says what is wrong. */
function firstSentence(message: string): string {
  const sentence = message.split(/\.\s/, 1)[0] as string;
  return sentence.charAt(0).toLowerCase() + sentence.slice(1).replace(/\.$/, '');
}

/**
 * Reads one option value, from the command line (a string, or `true` for a switch) or from a
 * config file (any JSON value). `label` names it in the error: `--port`, or `` `port` in file ``.
 */
export type ValueReader<T> = (raw: unknown, label: string) => T;

/** An integer within [min, max]. */
export function integerValue(min: number, max = Number.MAX_SAFE_INTEGER): ValueReader<number> {
  return (raw, label) => {
    const value = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
    if (!Number.isInteger(value) || value < min || value > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
      throw new UsageError(`${label} must be an integer ${range}, got '${String(raw)}'`);
    }
    return value;
  };
}

/** Milliseconds: an integer > 0, at most the library's {@link MAX_TIMEOUT_MS} (Node's longest timer). */
export const millisecondsValue: ValueReader<number> = integerValue(1, MAX_TIMEOUT_MS);

/** A milliseconds limit where `0` means none (`Infinity`). */
export const limitMsValue: ValueReader<number> = (raw, label) => {
  const value = integerValue(0, MAX_TIMEOUT_MS)(raw, label);
  return value === 0 ? Number.POSITIVE_INFINITY : value;
};

const UNITS: Readonly<Record<string, number>> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2 };

/** A size in bytes: `1048576`, `512kb`, `2mb` (binary units). */
export const bytesValue: ValueReader<number> = (raw, label) => {
  const match = typeof raw === 'string' || typeof raw === 'number' ? /^\s*(\d+)\s*([a-z]*)\s*$/i.exec(String(raw)) : null;
  const unit = UNITS[(match?.[2] ?? '').toLowerCase()];
  if (match === null || unit === undefined || Number(match[1]) < 1) {
    throw new UsageError(`${label} must be a size in bytes such as 1048576, 512kb or 2mb, got '${String(raw)}'`);
  }
  return Number(match[1]) * unit;
};

/** A non-empty string. */
export const textValue: ValueReader<string> = (raw, label) => {
  if (typeof raw !== 'string' || raw.trim() === '') throw new UsageError(`${label} must be a non-empty string, got '${String(raw)}'`);
  return raw;
};

/** A switch: present on the command line, `true`/`false` in a config file. */
export const booleanValue: ValueReader<boolean> = (raw, label) => {
  if (typeof raw !== 'boolean') throw new UsageError(`${label} must be true or false, got '${String(raw)}'`);
  return raw;
};

/** An integer option within [min, max], or undefined when absent. */
export function integer(values: Parsed['values'], name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const raw = values[name];
  return raw === undefined ? undefined : integerValue(min, max)(raw, `--${name}`);
}

/** A milliseconds option (> 0, at most {@link MAX_TIMEOUT_MS}). */
export function milliseconds(values: Parsed['values'], name: string): number | undefined {
  const raw = values[name];
  return raw === undefined ? undefined : millisecondsValue(raw, `--${name}`);
}

/** A string option, or undefined. */
export function text(values: Parsed['values'], name: string): string | undefined {
  const raw = values[name];
  return typeof raw === 'string' ? raw : undefined;
}
