/**
 * Pruning the bundle cache, safely when several processes share it. Each process that holds
 * bundles (a module's current version, its history, versions still draining) keeps one lease
 * file, `leases/<host>-<pid>.json`, listing them; it rewrites it when the set changes and
 * touches it every {@link LEASE_REFRESH_MS}. A prune deletes every bundle no lease names,
 * ignoring leases of processes that are gone (same host, dead pid) or that stopped refreshing
 * ({@link LEASE_TTL_MS}). A bundle pruned while some worker still needs it (a lease written a
 * moment too late) costs nothing worse than a rewrite: workers restore a missing bundle from
 * the bytes their host keeps (workers/bundle.ts).
 */
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';

/** How often a process touches its lease file. */
export const LEASE_REFRESH_MS = 30_000;
/** A lease not touched for this long is stale, whatever its pid says (a frozen or foreign process). */
export const LEASE_TTL_MS = 10 * 60_000;
/**
 * Bundles younger than this are never pruned: one just built by another process may not be in
 * its lease yet.
 */
export const PRUNE_GRACE_MS = 2_000;

/** Bundles (`name-<16 hex>.mjs`) and the tmp files written on the way (`….mjs.<pid>.<id>.tmp`). Nothing else is touched. */
const CACHE_FILE = /-[0-9a-f]{16}\.mjs(?:\.[\w.]+\.tmp)?$/;
const LEASE_DIR = 'leases';
const host = hostname();

/** What one process holds in one cache directory, for all its modules. */
class ProcessLeases {
  readonly #dir: string;
  readonly #file: string;
  /** Bundle file names held, per holder (one per module). */
  readonly #held = new Map<object, ReadonlySet<string>>();
  /** Every write and prune of this directory, one after another. */
  #chain: Promise<unknown> = Promise.resolve();
  #refresh: NodeJS.Timeout | undefined;
  #pruning = false;

  constructor(dir: string) {
    this.#dir = dir;
    this.#file = join(dir, LEASE_DIR, `${host.replace(/[^\w.-]/g, '_')}-${process.pid}.json`);
  }

  hold(holder: object, files: Iterable<string>): Promise<void> {
    const names = new Set([...files].map((file) => basename(file)));
    if (names.size === 0) this.#held.delete(holder);
    else this.#held.set(holder, names);
    return this.#enqueue(() => this.#write());
  }

  prune(): Promise<void> {
    // One prune waiting is enough: a later request would find the same files.
    if (this.#pruning) return this.#chain.then(() => undefined);
    this.#pruning = true;
    return this.#enqueue(async () => {
      this.#pruning = false;
      await this.#prune();
    });
  }

  #enqueue(step: () => Promise<void>): Promise<void> {
    const next = this.#chain.then(step).catch(() => undefined);
    this.#chain = next;
    return next;
  }

  #names(): Set<string> {
    const all = new Set<string>();
    for (const names of this.#held.values()) for (const name of names) all.add(name);
    return all;
  }

  async #write(): Promise<void> {
    const names = this.#names();
    if (names.size === 0) {
      clearInterval(this.#refresh);
      this.#refresh = undefined;
      await rm(this.#file, { force: true });
      return;
    }
    await mkdir(join(this.#dir, LEASE_DIR), { recursive: true });
    const partial = `${this.#file}.tmp`;
    await writeFile(partial, JSON.stringify({ pid: process.pid, host, bundles: [...names] }));
    await rename(partial, this.#file);
    if (this.#refresh === undefined) {
      // Unref'd: a lease never keeps the process alive.
      this.#refresh = setInterval(() => this.#enqueue(() => this.#touch()), LEASE_REFRESH_MS).unref();
    }
  }

  async #touch(): Promise<void> {
    const now = new Date();
    // The cache directory may have been deleted: write the lease again.
    await utimes(this.#file, now, now).catch(() => this.#write());
  }

  async #prune(): Promise<void> {
    const held = this.#names();
    for (const name of await otherLeases(join(this.#dir, LEASE_DIR), this.#file)) held.add(name);
    const entries = await readdir(this.#dir, { withFileTypes: true }).catch(() => []);
    const now = Date.now();
    for (const entry of entries) {
      if (!entry.isFile() || !CACHE_FILE.test(entry.name) || held.has(entry.name)) continue;
      const file = join(this.#dir, entry.name);
      const info = await stat(file).catch(() => undefined);
      if (info === undefined || now - info.mtimeMs < PRUNE_GRACE_MS) continue;
      await rm(file, { force: true });
    }
  }
}

/** Bundle names in every live lease of other processes; stale lease files are removed. */
async function otherLeases(dir: string, own: string): Promise<string[]> {
  const names: string[] = [];
  const files = await readdir(dir).catch(() => [] as string[]);
  for (const name of files) {
    if (!name.endsWith('.json')) continue;
    const file = join(dir, name);
    if (file === own) continue;
    const lease = await readLease(file);
    if (lease === undefined) continue;
    if (lease.stale) {
      await rm(file, { force: true });
      continue;
    }
    names.push(...lease.bundles);
  }
  return names;
}

async function readLease(file: string): Promise<{ bundles: string[]; stale: boolean } | undefined> {
  try {
    const [text, info] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
    const lease = JSON.parse(text) as { pid?: unknown; host?: unknown; bundles?: unknown };
    const bundles = Array.isArray(lease.bundles) ? lease.bundles.filter((name): name is string => typeof name === 'string') : [];
    const dead = lease.host === host && typeof lease.pid === 'number' && !isAlive(lease.pid);
    return { bundles, stale: dead || Date.now() - info.mtimeMs > LEASE_TTL_MS };
  } catch {
    // Being replaced (rename) or half-gone: read it next time.
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, owned by someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const byDir = new Map<string, ProcessLeases>();

/**
 * A module's hold on the bundles it still needs in `cacheDir`. `hold()` replaces what it
 * held; `release()` lets everything go; `prune()` deletes what nobody holds.
 */
export class CacheLease {
  readonly #leases: ProcessLeases;

  constructor(cacheDir: string) {
    let leases = byDir.get(cacheDir);
    if (leases === undefined) {
      leases = new ProcessLeases(cacheDir);
      byDir.set(cacheDir, leases);
    }
    this.#leases = leases;
  }

  /** Resolves once the lease file names them (never rejects: a lease that cannot be written only weakens pruning's safety margin). */
  hold(files: Iterable<string>): Promise<void> {
    return this.#leases.hold(this, files);
  }

  release(): Promise<void> {
    return this.#leases.hold(this, []);
  }

  /** Deletes bundles no live host holds. Never rejects. */
  prune(): Promise<void> {
    return this.#leases.prune();
  }
}
