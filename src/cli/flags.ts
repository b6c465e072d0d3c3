/**
 * A command's flags as one table: each flag's name on the command line, its camelCase option
 * name (the config-file key, the same as the library's option where they overlap), how its
 * value is read, and its help line. Parsing, `--help`, the config file and "did you mean" are
 * all derived from the table, so a flag added to it is everywhere at once.
 */
import { type Options, type Parsed, parse, type ValueReader } from './args.js';

/** One flag of a command. */
export interface Flag<T = unknown> {
  /** Long name without dashes, kebab-case: `load-timeout`. */
  readonly flag: string;
  /** One-letter alias, if any. */
  readonly short?: string;
  /** The option it sets, camelCase: `loadTimeout`. Also its key in the config file. */
  readonly option: string;
  /** Reads the value; a switch has none on the command line. */
  readonly read: ValueReader<T>;
  /** True for a switch (`--watch`), which takes no value on the command line. */
  readonly switch?: boolean;
  /** The value's placeholder in help: `<ms>`. */
  readonly arg?: string;
  /** The help text, with its default; lines after the first are indented under it. */
  readonly help: string;
  /** False for a flag that cannot be set from a config file (`--config` itself). */
  readonly inConfig?: boolean;
}

/** The flags of a command, in help order. */
export type FlagTable = readonly Flag[];

/** `--load-timeout`, for the option `loadTimeout`, or undefined when no flag sets it. */
export function flagOf(table: FlagTable, option: string): string | undefined {
  const found = table.find((flag) => flag.option === option);
  return found === undefined ? undefined : `--${found.flag}`;
}

/** What a command line gave: option values by camelCase name (only those given), and the positionals. */
export interface ParsedFlags {
  readonly options: Record<string, unknown>;
  readonly positionals: string[];
  readonly help: boolean;
}

/** Parses `argv` against the table: unknown flags are refused with a "did you mean". */
export function parseFlags(argv: readonly string[], table: FlagTable, maxPositionals: number): ParsedFlags {
  const config: Options = {};
  for (const flag of table) {
    config[flag.flag] = { type: flag.switch === true ? 'boolean' : 'string', ...(flag.short ? { short: flag.short } : {}) };
  }
  const { values, positionals }: Parsed = parse(argv, config, maxPositionals);
  const options: Record<string, unknown> = {};
  if (values.help === true) return { options, positionals, help: true };
  for (const flag of table) {
    const raw = values[flag.flag];
    if (raw !== undefined) options[flag.option] = flag.read(raw, `--${flag.flag}`);
  }
  return { options, positionals, help: false };
}

/** The "Options:" lines of `--help`, aligned, from the table (and `-h, --help`). */
export function flagHelp(table: FlagTable): string {
  const rows = [
    ...table.map((flag) => ({
      name: `${flag.short ? `-${flag.short}, ` : '    '}--${flag.flag}${flag.arg ? ` ${flag.arg}` : ''}`,
      help: flag.help,
    })),
    { name: '-h, --help', help: 'show this help' },
  ];
  const width = Math.max(...rows.map((row) => row.name.length)) + 2;
  return rows
    .map(({ name, help }) => {
      const [first, ...rest] = help.split('\n');
      return [`  ${name.padEnd(width)}${first}`, ...rest.map((line) => `  ${' '.repeat(width)}${line}`)].join('\n');
    })
    .join('\n');
}
