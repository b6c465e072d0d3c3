/**
 * A scratch directory per test: fixtures are copied in (so upgrades can rewrite them) and
 * bundles are cached there. Everything opened through it is closed and removed in afterEach.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type HotModule, type HotOptions, hot, type UntypedModule } from 'hotworker';
import { afterEach } from 'vitest';

const fixtures = new URL('../fixtures/', import.meta.url);

export interface Workspace {
  /** The scratch directory. */
  readonly dir: string;
  /** Where bundles of this workspace are written. */
  readonly cacheDir: string;
  /** Copies `test/fixtures/<fixture>` to `<dir>/<as>` (making its folders) and returns its absolute path. */
  copy(fixture: string, as?: string): string;
  /** Writes `<dir>/<name>` and returns its absolute path. */
  write(name: string, source: string): string;
  /** Reads a fixture's source text. */
  fixture(name: string): string;
  /** Opens a module with `hot()` (cache in this workspace); closed after the test. */
  hot<M = UntypedModule>(entry: string, options?: HotOptions<NoInfer<M>>): Promise<HotModule<M>>;
  /** Registers any cleanup to run after the test. */
  defer(cleanup: () => unknown): void;
}

const cleanups: Array<() => unknown> = [];

afterEach(async () => {
  // Last registered first, like a stack: modules close before their directory goes.
  while (cleanups.length > 0) await cleanups.pop()?.();
});

export function workspace(): Workspace {
  const dir = mkdtempSync(join(tmpdir(), 'hotworker-test-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const cacheDir = join(dir, '.hotworker');
  return {
    dir,
    cacheDir,
    copy(fixture, as = fixture) {
      const target = join(dir, as);
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(new URL(fixture, fixtures), target);
      return target;
    },
    write(name, source) {
      const target = join(dir, name);
      writeFileSync(target, source);
      return target;
    },
    fixture(name) {
      return readFileSync(new URL(name, fixtures), 'utf8');
    },
    async hot<M>(entry: string, options: HotOptions<NoInfer<M>> = {}) {
      const module = await hot<M>(entry, { cacheDir, ...options });
      cleanups.push(() => module.destroy());
      return module;
    },
    defer(cleanup) {
      cleanups.push(cleanup);
    },
  };
}
