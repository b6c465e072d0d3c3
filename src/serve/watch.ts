/**
 * Watch mode's file watcher: watches the directories of a version's input files (so editors
 * that save by renaming a new file over the old are seen), debounces bursts of changes, and
 * hands them on as one batch, never while the previous batch is still being handled.
 *
 * A watch follows an inode, not a path, so three things need care: a symlink on the way to a
 * file (its parent is watched for it, and a swap re-arms what lies behind it), a directory
 * deleted or replaced (its parent is watched until it is back, then it is re-armed and counts
 * as changed), and a watch that fails (a warning says so).
 */
import { type FSWatcher, lstatSync, statSync, watch } from 'node:fs';
import { dirname, join, parse, sep } from 'node:path';
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

/** A directory watched, and the inode it was when the watch began. */
interface DirectoryWatch {
  readonly watcher: FSWatcher;
  readonly inode: number;
}

/**
 * Calls `onChange(files)` after input files change. Changes that arrive while `onChange`
 * runs are kept and handed on, coalesced, once it has settled.
 */
export class InputWatcher {
  readonly #onChange: (files: string[]) => Promise<unknown>;
  readonly #debounceMs: number;
  readonly #logger: Logger;
  /** The files as given (absolute paths). */
  #given: readonly string[] = [];
  /** The paths whose changes count: the files, and every symlink on the way to one. */
  #files = new Set<string>();
  /** Those of `#files` that are symlinks: a change there re-arms the directories behind them. */
  #links = new Set<string>();
  /** One watch per directory holding at least one of `#files`. */
  readonly #watches = new Map<string, DirectoryWatch>();
  /** Directories that are gone, each with a watch on its nearest existing ancestor until it is back. */
  readonly #missing = new Map<string, FSWatcher | undefined>();
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
    return [...this.#given];
  }

  /**
   * Replaces the watched files (after an upgrade, the new version's inputs and its entry).
   * A file new to the set that was modified at or after `changedSince` (epoch ms) counts as
   * changed: it was read by the build, but nothing watched it until now.
   */
  update(files: readonly string[], changedSince?: number): void {
    if (this.#closed) return;
    const before = this.#files;
    this.#given = [...new Set(files)];
    this.#links = new Set(this.#given.flatMap(symlinksOnTheWay));
    this.#files = new Set([...this.#given, ...this.#links]);
    const directories = new Set([...this.#files].map((file) => dirname(file)));
    for (const [directory, { watcher }] of this.#watches) {
      if (directories.has(directory)) continue;
      watcher.close();
      this.#watches.delete(directory);
    }
    for (const [directory, watcher] of this.#missing) {
      if (directories.has(directory)) continue;
      watcher?.close();
      this.#missing.delete(directory);
    }
    for (const directory of directories) {
      if (!this.#watches.has(directory) && !this.#missing.has(directory)) this.#watch(directory);
    }
    if (changedSince === undefined) return;
    for (const file of this.#given) {
      if (!before.has(file) && modifiedSince(file, changedSince)) this.#changed.add(file);
    }
    this.#schedule();
  }

  /** Stops watching; a batch already running is left to finish. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const { watcher } of this.#watches.values()) watcher.close();
    for (const watcher of this.#missing.values()) watcher?.close();
    this.#watches.clear();
    this.#missing.clear();
  }

  /** Starts watching `directory`; true when it could. */
  #watch(directory: string): boolean {
    let inode: number;
    let watcher: FSWatcher;
    try {
      inode = statSync(directory).ino;
      watcher = watch(directory, { persistent: false }, (event, name) => this.#onEvent(directory, event, name));
    } catch (error) {
      this.#lost(directory, (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : (error as Error).message);
      return false;
    }
    watcher.on('error', (error) => this.#lost(directory, error.message));
    this.#watches.set(directory, { watcher, inode });
    return true;
  }

  #onEvent(directory: string, event: string, name: string | Buffer | null): void {
    if (this.#closed) return;
    if (event === 'rename' && this.#replaced(directory)) return;
    if (name === null) {
      // The platform did not say which file: count every input of the directory as changed.
      this.#touchDirectory(directory);
    } else {
      const file = join(directory, name.toString());
      if (!this.#files.has(file)) return;
      this.#changed.add(file);
      // A symlink swapped (`mv -T`): what lay behind it is another inode now.
      if (this.#links.has(file)) this.#rearmBehind(file);
    }
    this.#schedule();
  }

  /** True when `directory` is gone or is another inode than the one watched (handled here). */
  #replaced(directory: string): boolean {
    const watched = this.#watches.get(directory);
    if (watched === undefined) return true;
    let inode: number | undefined;
    try {
      inode = statSync(directory).ino;
    } catch {
      inode = undefined;
    }
    if (inode === watched.inode) return false;
    if (inode === undefined) {
      this.#lost(directory, 'it was removed');
    } else {
      this.#rearm(directory);
    }
    return true;
  }

  /** Stops the watch of a directory that is gone, and watches for it to come back. */
  #lost(directory: string, why: string): void {
    const watched = this.#watches.get(directory);
    watched?.watcher.close();
    this.#watches.delete(directory);
    if (this.#closed || this.#missing.has(directory)) return;
    this.#logger.warn('watch-stopped', `stopped watching ${directory}: ${why}; watching for it to come back`, { directory });
    this.#missing.set(directory, undefined);
    this.#awaitReturn(directory);
  }

  /** Watches the nearest existing ancestor of a missing directory until the directory exists again. */
  #awaitReturn(directory: string): void {
    if (this.#closed || !this.#missing.has(directory)) return;
    this.#missing.get(directory)?.close();
    if (exists(directory)) {
      this.#missing.delete(directory);
      if (this.#watch(directory)) {
        this.#logger.info('watch-resumed', `watching ${directory} again`, { directory });
        this.#touchDirectory(directory);
        this.#schedule();
      }
      return;
    }
    const ancestor = nearestExisting(directory);
    let watcher: FSWatcher;
    try {
      watcher = watch(ancestor, { persistent: false }, () => this.#awaitReturn(directory));
    } catch (error) {
      this.#missing.set(directory, undefined);
      this.#logger.warn('watch-stopped', `cannot watch ${ancestor} for ${directory} to come back: ${(error as Error).message}`, {
        directory,
      });
      return;
    }
    watcher.on('error', (error) => {
      watcher.close();
      this.#logger.warn('watch-stopped', `stopped waiting for ${directory} to come back: ${error.message}`, { directory });
    });
    this.#missing.set(directory, watcher);
    // It may have come back between the check above and the watch.
    if (exists(directory)) this.#awaitReturn(directory);
  }

  /** Watches `directory` afresh (it is another inode now) and counts its files as changed. */
  #rearm(directory: string): void {
    this.#watches.get(directory)?.watcher.close();
    this.#watches.delete(directory);
    if (this.#watch(directory)) this.#touchDirectory(directory);
    this.#schedule();
  }

  #rearmBehind(link: string): void {
    for (const directory of [...this.#watches.keys()]) {
      if (directory === link || directory.startsWith(`${link}${sep}`)) this.#rearm(directory);
    }
  }

  #touchDirectory(directory: string): void {
    for (const file of this.#files) if (dirname(file) === directory) this.#changed.add(file);
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

/** The file itself and each of its ancestors that is a symbolic link. */
function symlinksOnTheWay(file: string): string[] {
  const links: string[] = [];
  const { root } = parse(file);
  for (let path = file; path !== root; path = dirname(path)) {
    try {
      if (lstatSync(path).isSymbolicLink()) links.push(path);
    } catch {
      // Missing: nothing to follow (yet).
    }
  }
  return links;
}

function modifiedSince(file: string, since: number): boolean {
  try {
    return statSync(file).mtimeMs >= since;
  } catch {
    return false;
  }
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

function nearestExisting(directory: string): string {
  let path = dirname(directory);
  while (!exists(path) && path !== dirname(path)) path = dirname(path);
  return path;
}
