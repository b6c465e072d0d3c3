/**
 * How a worker gets its version's bundle: import it from the cache directory, and first
 * restore the file from the bytes the host handed over when it is gone (the cache directory
 * was deleted, or pruned by another process, while the version served). A respawned worker
 * then never depends on a file that can vanish. Any worker entry that runs a bundle (the
 * dispatcher, a standby worker handed a bundle later) goes through {@link importBundle}.
 */
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { threadId } from 'node:worker_threads';

/** Where a bundle lives, and its bytes to restore it from. */
export interface BundleRef {
  /** File URL of the content-hashed bundle. */
  readonly bundle: string;
  /** The bundle's exact bytes, shared by every worker (a `SharedArrayBuffer` is not copied per worker). */
  readonly source?: SharedArrayBuffer | undefined;
}

/**
 * A bundle's module namespace, in a box: a namespace with a `then` export is a thenable, so a
 * promise resolved with it would call the module's `then` instead (and, as that never calls
 * back, never settle). Every promise here carries the box, never the namespace itself.
 */
export interface ImportedBundle {
  readonly namespace: Record<string, unknown>;
}

/**
 * Imports the bundle, restoring its file first when it is missing. The normal path costs one
 * `stat`. The file name carries the content hash, so the restored file is the same file.
 */
export async function importBundle(ref: BundleRef): Promise<ImportedBundle> {
  restoreBundle(ref);
  try {
    return await importNamespace(ref.bundle);
  } catch (error) {
    // Deleted between the check and the import: restore again, and import under another URL,
    // since the module map may keep the failed attempt.
    if ((error as { code?: unknown })?.code !== 'ERR_MODULE_NOT_FOUND' || !restoreBundle(ref)) throw error;
    return importNamespace(`${ref.bundle}?restored=${threadId}`);
  }
}

/**
 * Imports `url` without letting `import()` see its namespace (see {@link ImportedBundle}): it
 * imports a module that re-exports that namespace as `ns`, its only export.
 */
async function importNamespace(url: string): Promise<ImportedBundle> {
  const wrapper = `data:text/javascript,import*as ns from${encodeURIComponent(JSON.stringify(url))};export{ns}`;
  const { ns } = (await import(wrapper)) as { ns: Record<string, unknown> };
  return { namespace: ns };
}

/** Writes the bundle's file from `ref.source` when it is missing: tmp file, then rename. True when it wrote. */
export function restoreBundle(ref: BundleRef): boolean {
  if (ref.source === undefined) return false;
  const file = fileURLToPath(ref.bundle);
  if (existsSync(file)) return false;
  mkdirSync(dirname(file), { recursive: true });
  // Unique per thread, so workers restoring at once never write the same tmp file; rename is atomic.
  const partial = `${file}.${process.pid}.${threadId}.tmp`;
  try {
    writeFileSync(partial, new Uint8Array(ref.source));
    renameSync(partial, file);
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  }
  return true;
}
