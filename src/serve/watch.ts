/**
 * Watch mode's file watcher: watches the directories of a version's input files (so editors
 * that save by renaming a new file over the old are seen), debounces bursts of changes, and
 * hands them on as one batch, never while the previous batch is still being handled.
 */
import { type FSWatcher, watch } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from './log.js';

/** Options of an {@link InputWatcher}. */
export interface InputWatcherOptions {
  /**
   * Quiet time after the last change before the batch is handed on, in milliseconds.
   * @default 100
   */
  debounceMs?: number;
  /** Where watch failures (a directory gone) are reported. */
  logger: Logger;
}

/**
 * Calls `onChange(files)` after input files change. Changes that arrive while `onChange`
 * runs are kept and handed on, coalesced, once it has settled.
 */
export class InputWatcher {
  readonly #onChange: (files: string[]) => Promise<unknown>;
  readonly #debounceMs: number;
  readonly #logger: Logger;
  /** The files whose changes count (absolute paths). */
  #files = new Set<string>();
  /** One watcher per directory holding at least one of `#files`. */
  readonly #watchers = new Map<string, FSWatcher>();
  /** Files changed and not yet handed on. */
  readonly #changed = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  /** Set while `onChange` runs; nothing else is handed on until it settles. */
  #running: Promise<unknown> | undefined;
  #closed = false;

  constructor(files: readonly string[], onChange: (files: string[]) => Promise<unknown>, options: InputWatcherOptions) {
    this.#onChange = onChange;
    this.#debounceMs = options.debounceMs ?? 100;
    this.#logger = options.logger;
    this.update(files);
  }

  /** The files watched now. */
  get files(): readonly string[] {
    return [...this.#files];
  }

  /** Replaces the watched files (after an upgrade, the new version's inputs). */
  update(files: readonly string[]): void {
    if (this.#closed) return;
    this.#files = new Set(files);
    const directories = new Set(files.map((file) => dirname(file)));
    for (const [directory, watcher] of this.#watchers) {
      if (directories.has(directory)) continue;
      watcher.close();
      this.#watchers.delete(directory);
    }
    for (const directory of directories) {
      if (!this.#watchers.has(directory)) this.#watch(directory);
    }
  }

  /** Stops watching; a batch already running is left to finish. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const watcher of this.#watchers.values()) watcher.close();
    this.#watchers.clear();
  }

  #watch(directory: string): void {
    let watcher: FSWatcher;
    try {
      watcher = watch(directory, { persistent: false }, (_event, name) => this.#onEvent(directory, name));
    } catch (error) {
      this.#logger.warn('watch-error', `cannot watch ${directory}: ${(error as Error).message}`, { directory });
      return;
    }
    watcher.on('error', (error) => {
      this.#logger.warn('watch-error', `stopped watching ${directory}: ${error.message}`, { directory });
      watcher.close();
      this.#watchers.delete(directory);
    });
    this.#watchers.set(directory, watcher);
  }

  #onEvent(directory: string, name: string | Buffer | null): void {
    if (this.#closed) return;
    if (name === null) {
      // The platform did not say which file: count every input of the directory as changed.
      for (const file of this.#files) if (dirname(file) === directory) this.#changed.add(file);
    } else {
      const file = join(directory, name.toString());
      if (!this.#files.has(file)) return;
      this.#changed.add(file);
    }
    this.#schedule();
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    // While a batch runs, changes wait; its end schedules the next.
    if (this.#running !== undefined || this.#changed.size === 0 || this.#closed) return;
    this.#timer = setTimeout(() => this.#flush(), this.#debounceMs);
  }

  #flush(): void {
    if (this.#closed || this.#running !== undefined) return;
    const files = [...this.#changed];
    this.#changed.clear();
    this.#running = this.#onChange(files)
      .catch(() => undefined)
      .finally(() => {
        this.#running = undefined;
        this.#schedule();
      });
  }
}
