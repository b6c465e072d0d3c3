/**
 * Why an upgrade failed, in one line a developer can act on: the code, the file and line
 * when one is known, and the message.
 */
import { fileURLToPath } from 'node:url';
import { HotError } from '../index.js';
import { displayPath } from './log.js';

/** A failure reduced to what a log line or an admin answer shows. */
export interface FailureSummary {
  /** `ERR_HOT_BUILD`, `ERR_HOT_LOAD`, … or the error's own code, when it has one. */
  readonly code: string | undefined;
  /** The error's message. */
  readonly message: string;
  /** `file:line:column` of the fault, relative to the working directory, when known. */
  readonly where: string | undefined;
}

/**
 * Summarises an upgrade failure. Build errors carry esbuild's location; load errors carry
 * the module's own stack (source-mapped by the worker), whose first frame in a user file is taken.
 */
export function summarizeFailure(error: unknown, optionNames: Readonly<Record<string, string>> = {}): FailureSummary {
  const code = HotError.is(error) ? error.code : codeOf(error);
  const message = renameOption((error as Error)?.message ?? String(error), HotError.is(error) ? error.option : undefined, optionNames);
  return { code, message, where: buildLocation(error) ?? stackLocation((error as Error)?.cause) };
}

/** One line: `ERR_HOT_BUILD at src/m.ts:3:9: Build of … failed: …`. */
export function failureLine(summary: FailureSummary): string {
  // A build error's message already names its location.
  const where = summary.where !== undefined && !summary.message.includes(summary.where) ? ` at ${summary.where}` : '';
  return `${summary.code ?? 'error'}${where}: ${summary.message}`;
}

/**
 * The library's advice names its own option (`` `loadTimeout` ``, `` `allowBreaking: true` ``);
 * a reader who sets options another way reads the name they use (`--load-timeout`).
 */
export function renameOption(message: string, option: string | undefined, optionNames: Readonly<Record<string, string>>): string {
  const name = option === undefined ? undefined : optionNames[option];
  if (name === undefined) return message;
  return message.replaceAll(`\`${option}: true\``, name).replaceAll(`\`${option}\``, name);
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' ? code : undefined;
}

/** esbuild's BuildFailure (the `cause` of `ERR_HOT_BUILD`) lists errors with a location. */
function buildLocation(error: unknown): string | undefined {
  if (!HotError.is(error, 'ERR_HOT_BUILD')) return undefined;
  const errors = (error.cause as { errors?: Array<{ location?: { file: string; line: number; column: number } | null }> })?.errors;
  const location = errors?.[0]?.location;
  return location ? `${display(location.file)}:${location.line}:${location.column + 1}` : undefined;
}

/** The first stack frame outside hotworker and node internals: where the module threw. */
function stackLocation(cause: unknown): string | undefined {
  const stack = (cause as Error)?.stack;
  if (typeof stack !== 'string') return undefined;
  for (const line of stack.split('\n').slice(1)) {
    // The path starts the frame (`at /m.ts:2:1`) or its parentheses (`at f (file:///m.ts:2:1)`):
    // inside `(node:internal/url:816:29)` the `/url:816:29` is no file.
    const frame = /(?:^at |\()((?:file:\/\/)?\/[^()\s]+?):(\d+):(\d+)\)?$/.exec(line.trim());
    if (frame === null) continue;
    const file = frame[1] as string;
    if (/[\\/](node_modules|dist[\\/]workers|\.hotworker)[\\/]/.test(file)) continue;
    return `${display(file)}:${frame[2]}:${frame[3]}`;
  }
  return undefined;
}

function display(file: string): string {
  return displayPath(file.startsWith('file:') ? fileURLToPath(file) : file);
}
