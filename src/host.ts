/**
 * `HotHost` and `hot()`: where modules are opened, with shared settings, and closed together.
 */
import { resolve } from 'node:path';
import type { HotApi, UntypedModule } from './api.js';
import { type Artifact, isArtifact } from './build.js';
import { HotError } from './errors.js';
import { HotModule } from './hot-module.js';
import { type HostOptions, type ModuleOptions, type ResolvedModuleOptions, resolveModuleOptions, validateHostOptions } from './options.js';

/** Options of {@link hot}: a module's options, plus where its bundles are written. */
export interface HotOptions<M = UntypedModule> extends ModuleOptions<HotApi<M>> {
  /**
   * Where bundles are written, relative to the working directory.
   * @default '.hotworker'
   */
  cacheDir?: string;
}

/**
 * Hosts several hot modules with shared settings, and closes them together.
 * @example
 * const host = new HotHost({ cacheDir: '.hotworker', defaults: { threads: 2 } });
 * const math = await host.load<typeof import('./math.ts')>('./math.ts');
 * await host.close();
 */
export class HotHost {
  readonly #cacheDir: string;
  readonly #defaults: ModuleOptions;
  /** Modules open now; a module leaves this set when it closes. */
  readonly #modules = new Set<HotModule<never>>();
  /** Loads still starting; close() waits for them, then closes what they opened. */
  readonly #loading = new Set<Promise<unknown>>();
  #closed: Promise<void> | undefined;

  constructor(options: HostOptions = {}) {
    validateHostOptions(options);
    this.#cacheDir = resolve(options.cacheDir ?? '.hotworker');
    this.#defaults = { ...options.defaults };
    // Validate the defaults now, so a bad default fails at construction, not at the first load.
    resolveModuleOptions(this.#defaults);
  }

  /** Absolute path of the directory bundles are written to. */
  get cacheDir(): string {
    return this.#cacheDir;
  }

  /** The modules open now. */
  get modules(): ReadonlySet<HotModule<never>> {
    return this.#modules;
  }

  /**
   * Builds `entry`, starts its first version in a worker pool and resolves once it has loaded
   * (and passed `verify`). Rejects `ERR_HOT_BUILD`, `ERR_HOT_LOAD`, `ERR_HOT_VERIFY`,
   * `ERR_HOT_INVALID_OPTION` or `ERR_HOT_CLOSED`.
   *
   * @param entry - a path relative to the working directory, or a file URL
   *   (`new URL('./math.ts', import.meta.url)`, which does not depend on where the process started),
   *   or an {@link Artifact} already built (by `buildArtifact()` or `artifactFromBundle()`), which runs as it is.
   * @param options - overrides the host's `defaults` for this module.
   */
  async load<M = UntypedModule>(entry: string | URL | Artifact, options: ModuleOptions<HotApi<NoInfer<M>>> = {}): Promise<HotModule<M>> {
    if (this.#closed) throw new HotError('ERR_HOT_CLOSED', `Cannot load ${label(entry)}: the host is closed`);
    const resolved = resolveModuleOptions({ ...this.#defaults, ...options } as ModuleOptions<never>);
    // close() waits for the whole of it, the module's own close included when the host closed meanwhile.
    const loading = this.#open<M>(entry, resolved);
    this.#loading.add(loading);
    try {
      return await loading;
    } finally {
      this.#loading.delete(loading);
    }
  }

  async #open<M>(entry: string | URL | Artifact, options: ResolvedModuleOptions): Promise<HotModule<M>> {
    const module = await HotModule.open<M>(entry, {
      cacheDir: this.#cacheDir,
      options,
      onClosed: (closed) => this.#modules.delete(closed),
    });
    if (this.#closed) {
      await module.close();
      throw new HotError('ERR_HOT_CLOSED', `The host closed while ${label(entry)} was loading`);
    }
    this.#modules.add(module as HotModule<never>);
    return module;
  }

  /** Closes every module (each finishes its accepted calls). Safe to call more than once. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      await Promise.allSettled(this.#loading);
      await Promise.all([...this.#modules].map((module) => module.close()));
    })();
    return this.#closed;
  }

  /** `await using host = new HotHost()` closes the host at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Loads one module into its own worker pool: the host-less shorthand for
 * `new HotHost({ cacheDir }).load(entry, options)`.
 * @example
 * const math = await hot<typeof import('./math.ts')>('./math.ts', { threads: 2 });
 * await math.api.fib(30);
 */
export async function hot<M = UntypedModule>(entry: string | URL | Artifact, options: HotOptions<NoInfer<M>> = {}): Promise<HotModule<M>> {
  const { cacheDir, ...moduleOptions } = options ?? {};
  return new HotHost(cacheDir === undefined ? {} : { cacheDir }).load<M>(entry, moduleOptions);
}

function label(entry: string | URL | Artifact): string {
  return isArtifact(entry) ? entry.entry : String(entry);
}
