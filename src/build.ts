/**
 * The build step: an entry file becomes one content-hashed ESM bundle (the artifact), with
 * its export names and input files read from esbuild's metafile, without running any code.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import { basename, extname, join, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
// Imported statically, once: the first import of esbuild costs ~30 ms, later builds ~2 ms.
import * as esbuild from 'esbuild';
import { HotError } from './errors.js';

/** One built version of a module: what a generation runs. */
export interface Artifact {
  /** Absolute path of the entry the bundle was built from. */
  readonly entry: string;
  /** First 16 hex digits of the SHA-256 of the bundle: identical source gives the identical hash. */
  readonly hash: string;
  /** Absolute path of the bundle in the cache directory. */
  readonly file: string;
  /** File URL of the bundle, as workers import it. */
  readonly url: string;
  /**
   * Export names, from esbuild's metafile (`default` included when present). Empty for a
   * CommonJS entry: its names are the properties of `module.exports`, known once it has loaded.
   */
  readonly exports: readonly string[];
  /** True when the entry is CommonJS (`module.exports`, `exports.f`, a `.cjs` file). */
  readonly commonjs: boolean;
  /** Absolute paths of every local file bundled: what a watcher must watch. */
  readonly inputs: readonly string[];
  /** Bundle size in bytes. */
  readonly size: number;
}

/** Turns a user-facing entry (path relative to the working directory, or a file URL) into an absolute path. */
export function resolveEntry(entry: string | URL, cwd = process.cwd()): string {
  if (entry instanceof URL) {
    if (entry.protocol !== 'file:') {
      throw new HotError('ERR_HOT_INVALID_OPTION', `Expected \`entry\` to be a file URL, got \`${entry.href}\``);
    }
    return resolve(decodeURIComponent(entry.pathname));
  }
  if (entry.startsWith('file:')) return resolveEntry(new URL(entry), cwd);
  return resolve(cwd, entry);
}

/**
 * Entries found to import a package: built with the plugin from the start from then on (one
 * that stops importing packages keeps the plugin: slower by a round trip, never wrong). One
 * item per module entry built in this process.
 */
const importsPackages = new Set<string>();

/**
 * Builds an entry into `cacheDir`. Rejects `ERR_HOT_BUILD` with file:line:column of the
 * first error. Writing is idempotent: a bundle whose hash already exists is not rewritten.
 *
 * A module that imports no package builds without {@link externalPackagesByUrl}: a plugin
 * costs a second round trip to esbuild's process, which under load is a turn of the host's
 * busy event loop before an upgrade can load. The plain build keeps packages external as bare
 * imports (`packages: 'external'`, applied after tsconfig `paths`); when its output has one,
 * the entry is built again with the plugin, and with it from then on. Both builds give the
 * same bytes for a module without packages, so the hash does not depend on the path taken.
 */
export async function buildArtifact(entry: string, cacheDir: string): Promise<Artifact> {
  // The entry is checked while esbuild builds (one turn of the event loop fewer before an
  // upgrade can load): a missing file or a directory gets its own error, not esbuild's.
  const problem = entryProblem(entry);
  // The outfile name only anchors the source map's relative paths; the real file name is
  // the content hash, written in the same directory so those paths stay right.
  const anchor = join(cacheDir, 'bundle.mjs');
  const withPlugin = importsPackages.has(entry);
  const building = bundle(entry, anchor, withPlugin);
  building.catch(() => undefined);
  const refusal = await problem;
  if (refusal !== undefined) throw refusal;
  let result: esbuild.BuildResult<{ write: false; metafile: true }>;
  try {
    result = await building;
    if (!withPlugin && importsPackage(result)) {
      importsPackages.add(entry);
      result = await bundle(entry, anchor, true);
    }
  } catch (error) {
    throw buildError(entry, error);
  }
  const output = result.outputFiles[0];
  const meta = Object.values(result.metafile.outputs)[0];
  if (output === undefined || meta === undefined) {
    throw new HotError('ERR_HOT_BUILD', `Build of ${entry} produced no output`);
  }
  const hash = createHash('sha256').update(output.contents).digest('hex').slice(0, 16);
  const name = `${basename(entry, extname(entry)).replace(/[^\w.-]/g, '_')}-${hash}.mjs`;
  const file = join(cacheDir, name);
  writeOnce(file, output.contents);
  // esbuild bundles a CommonJS entry as `export default module.exports`; the names inside
  // are the module's real exports (workers/commonjs.ts reads them once loaded).
  const commonjs = Object.entries(result.metafile.inputs).some(([input, info]) => resolve(input) === entry && info.format === 'cjs');
  const artifact: Artifact = {
    entry,
    hash,
    file,
    url: pathToFileURL(file).href,
    exports: commonjs ? [] : meta.exports,
    commonjs,
    inputs: Object.keys(result.metafile.inputs).map((input) => resolve(input)),
    size: output.contents.byteLength,
  };
  sources.set(artifact, shared(output.contents));
  return artifact;
}

/** The bytes of each artifact's bundle, kept while the artifact is (in a module's history, say). */
const sources = new WeakMap<Artifact, SharedArrayBuffer>();

/**
 * The bundle's bytes, shared with every worker so that one whose bundle file was deleted can
 * write it back (workers/bundle.ts). Read from the file for an artifact built elsewhere;
 * `undefined` when that file is gone too.
 */
export async function bundleSource(artifact: Artifact): Promise<SharedArrayBuffer | undefined> {
  let source = sources.get(artifact);
  if (source === undefined) {
    const contents = await readFile(artifact.file).catch(() => undefined);
    if (contents === undefined) return undefined;
    source = shared(contents);
    sources.set(artifact, source);
  }
  return source;
}

function shared(contents: Uint8Array): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer(contents.byteLength);
  new Uint8Array(buffer).set(contents);
  return buffer;
}

/**
 * Makes an artifact of a bundle that was already built, from its bytes (fetched from Redis by
 * a fleet node, say), without rebuilding it: the bytes are written as they are, so the code
 * that runs is byte-identical to the code that was built. The hash is computed as
 * {@link buildArtifact} computes it; the export names are read by esbuild without running
 * the code. `entry` and `inputs` name the written bundle. Rejects `ERR_HOT_BUILD` when the
 * bytes are not a parseable ES module.
 *
 * @param name - the bundle file's name before its hash, e.g. the module's own name.
 * @param options.commonjs - true when the bundle was built from a CommonJS module (the
 *   `commonjs` of the artifact built): its workers then serve the functions of
 *   `module.exports`, as they did for the original. Default false: the named exports.
 */
export async function artifactFromBundle(
  bundle: Uint8Array,
  cacheDir: string,
  name = 'bundle',
  options: { commonjs?: boolean } = {},
): Promise<Artifact> {
  const hash = createHash('sha256').update(bundle).digest('hex').slice(0, 16);
  const file = join(resolve(cacheDir), `${name.replace(/[^\w.-]/g, '_')}-${hash}.mjs`);
  await writeOnce(file, bundle);
  let exports: string[];
  try {
    const result = await esbuild.build({
      entryPoints: [file],
      bundle: false,
      format: 'esm',
      platform: 'node',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    exports = Object.values(result.metafile.outputs)[0]?.exports ?? [];
  } catch (error) {
    throw buildError(file, error);
  }
  // Whether the source was CommonJS is not recorded in the bytes: whoever stored them says so
  // (`commonjs`), and the workers then serve `module.exports`' functions rather than `default`.
  const commonjs = options.commonjs === true;
  return { entry: file, hash, file, url: pathToFileURL(file).href, exports, inputs: [file], size: bundle.byteLength, commonjs };
}

/** True for an {@link Artifact} (what `hot()` and `upgrade()` accept in place of an entry to build). */
export function isArtifact(value: unknown): value is Artifact {
  const candidate = value as Partial<Artifact> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    !(candidate instanceof URL) &&
    typeof candidate.hash === 'string' &&
    typeof candidate.url === 'string' &&
    Array.isArray(candidate.exports)
  );
}

/** Why `entry` cannot be built (a directory, or no such file), or undefined when it is a file. */
async function entryProblem(entry: string): Promise<HotError | undefined> {
  const info = await stat(entry).catch(() => undefined);
  if (info?.isDirectory() === true) {
    return new HotError(
      'ERR_HOT_BUILD',
      `Cannot build ${entry}: it is a directory, not a module file. Name the file itself, such as ${join(entry, 'index.ts')}.`,
    );
  }
  if (info?.isFile() !== true) {
    return new HotError(
      'ERR_HOT_BUILD',
      `Cannot build ${entry}: no such file. A relative path resolves from the working directory (${process.cwd()}); a file URL such as new URL('./module.ts', import.meta.url) resolves from the calling file, which after compiling (tsc) is the compiled one in its output folder.`,
    );
  }
}

/**
 * Writes a bundle unless a file of that name (its hash) is there. Synchronous on purpose: it is
 * a few system calls on a small file, while the same steps with fs/promises (stat, mkdir, open,
 * write, close, rename) each wait for a turn of the event loop, which under load costs an
 * upgrade milliseconds before its new version can start loading.
 */
function writeOnce(file: string, contents: Uint8Array): void {
  if (existsSync(file)) return;
  mkdirSync(join(file, '..'), { recursive: true });
  // Write then rename, so a worker never imports a half-written bundle.
  const partial = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(partial, contents);
  renameSync(partial, file);
}

function buildError(entry: string, error: unknown): HotError {
  const failure = error as Partial<esbuild.BuildFailure>;
  const first = failure.errors?.[0];
  if (first === undefined) {
    return new HotError('ERR_HOT_BUILD', `Build of ${entry} failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
  }
  const where = first.location ? `${first.location.file}:${first.location.line}:${first.location.column + 1}: ` : '';
  const more = (failure.errors?.length ?? 1) > 1 ? ` (and ${(failure.errors?.length ?? 1) - 1} more errors)` : '';
  return new HotError('ERR_HOT_BUILD', `Build of ${entry} failed: ${where}${first.text}${more}`, { cause: error });
}

/** Runs esbuild on `entry`: with {@link externalPackagesByUrl}, or keeping packages as bare external imports. */
function bundle(entry: string, anchor: string, withPlugin: boolean): Promise<esbuild.BuildResult<{ write: false; metafile: true }>> {
  return esbuild.build({
    entryPoints: [entry],
    outfile: anchor,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'inline',
    write: false,
    metafile: true,
    logLevel: 'silent',
    ...(withPlugin ? { plugins: [externalPackagesByUrl] } : { packages: 'external' as const }),
  });
}

/** True when the plain build left a package import external (a bare specifier); Node's built-in modules do not count. */
function importsPackage(result: esbuild.BuildResult<{ metafile: true }>): boolean {
  const output = Object.values(result.metafile.outputs)[0];
  return (output?.imports ?? []).some(({ path, external }) => external === true && !isBuiltin(path) && isPackageSpecifier(path));
}

/** A bare specifier (`pkg`, `@scope/pkg/sub`): not relative, not absolute, not a URL. */
function isPackageSpecifier(specifier: string): boolean {
  return /^[^./]/.test(specifier) && !/^[a-z][a-z0-9+.-]*:/i.test(specifier);
}

/**
 * Packages stay external, but are imported by absolute file URL: the bundle lives in the
 * cache directory, from where a bare `import 'pkg'` might not find the module's own
 * node_modules. esbuild resolves with Node's `import` conditions, as Node would. A bare
 * specifier that resolves outside any node_modules directory is the module's own code (a
 * tsconfig `paths` alias, a workspace package linked into node_modules): it is bundled like
 * a relative import, so its TypeScript is compiled and its changes make a new version.
 */
const externalPackagesByUrl: esbuild.Plugin = {
  name: 'hotworker-external-packages',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData === externalPackagesByUrl || isBuiltin(args.path) || !isPackageSpecifier(args.path)) {
        return undefined;
      }
      const resolved = await build.resolve(args.path, {
        kind: args.kind,
        resolveDir: args.resolveDir,
        importer: args.importer,
        pluginData: externalPackagesByUrl,
      });
      if (resolved.errors.length > 0) return { errors: resolved.errors };
      if (!resolved.external && !resolved.path.split(sep).includes('node_modules')) {
        return { path: resolved.path, namespace: resolved.namespace, sideEffects: resolved.sideEffects, suffix: resolved.suffix };
      }
      return { path: pathToFileURL(resolved.path).href, external: true };
    });
  },
};
