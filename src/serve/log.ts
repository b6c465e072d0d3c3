/**
 * The service's log: one line per event, human text by default (each line starting with its
 * ISO time), JSON with `--json-logs`.
 */
import { relative } from 'node:path';
import type { Writable } from 'node:stream';

/** How severe an event is. */
export type LogLevel = 'info' | 'warn' | 'error';

/** Extra fields of an event; in JSON mode they become keys of the line. */
export type LogFields = Readonly<Record<string, unknown>>;

/** Writes one line per event. */
export interface Logger {
  /**
   * Logs `message` (the human line) for `event` (a stable name, e.g. `upgrade`).
   * In JSON mode the line is `{ time, level, event, msg, ...fields }`.
   */
  log(level: LogLevel, event: string, message: string, fields?: LogFields): void;
  info(event: string, message: string, fields?: LogFields): void;
  warn(event: string, message: string, fields?: LogFields): void;
  error(event: string, message: string, fields?: LogFields): void;
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /**
   * One JSON object per line instead of human text.
   * @default false
   */
  json?: boolean;
  /**
   * Where lines go.
   * @default process.stdout
   */
  stream?: Writable;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const stream = options.stream ?? process.stdout;
  const json = options.json === true;
  const log = (level: LogLevel, event: string, message: string, fields: LogFields = {}): void => {
    const line = json
      ? JSON.stringify({ time: new Date().toISOString(), level, event, msg: message, ...fields }, jsonSafe)
      : `${new Date().toISOString()} ${level === 'info' ? '' : `${level === 'warn' ? 'warning' : 'error'}: `}${message}`;
    stream.write(`${line}\n`);
  };
  return {
    log,
    info: (event, message, fields) => log('info', event, message, fields),
    warn: (event, message, fields) => log('warn', event, message, fields),
    error: (event, message, fields) => log('error', event, message, fields),
  };
}

/** A logger that drops everything (for embedding the server where no log is wanted). */
export const silentLogger: Logger = { log() {}, info() {}, warn() {}, error() {} };

/** A path relative to the working directory when it lies under it (shorter in log lines), else as given. */
export function displayPath(file: string): string {
  if (!file.startsWith('/')) return file;
  const shown = relative(process.cwd(), file);
  return shown === '' || shown.startsWith('..') ? file : shown;
}

function jsonSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
