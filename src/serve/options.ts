/**
 * The options of `hotworker serve` as the server takes them, and the errors it starts with.
 */
import type { ResourceLimits } from 'node:worker_threads';
import type { Logger } from './log.js';

/** `serve`'s call timeout when none is given: a stuck call is bounded even when its client waits. */
export const DEFAULT_CALL_TIMEOUT = 30_000;

/** What a running call whose client went away has to finish, by default, before its worker is ended. */
export const DEFAULT_ABANDON_GRACE = 1_000;

/** Options of `HotServer.start()`. Only `entry` is required. */
export interface ServeOptions {
  /** The module to serve: a path (relative to the working directory) or a file URL. */
  entry: string | URL;
  /**
   * TCP port; 0 picks a free one (read it from `url`).
   * @default 3000
   */
  port?: number;
  /**
   * Address to listen on. On anything but a loopback address the admin routes need `adminToken`.
   * @default '127.0.0.1'
   */
  host?: string;
  /**
   * Worker threads per version.
   * @default the library's default, Math.max(1, Math.floor(os.availableParallelism() / 2))
   */
  threads?: number;
  /**
   * Keep standby workers booted for the next upgrade (the library's `standby` option).
   * @default true
   */
  standby?: boolean;
  /**
   * How idle workers wait (the library's `atomics` option): `'auto'` blocks them in
   * `Atomics.wait` for the fastest wake while nothing is left for their event loop, and keeps
   * the loop running once something is; `'async'` always keeps it running; `'sync'` always
   * blocks.
   * @default 'auto'
   */
  atomics?: 'auto' | 'async' | 'sync';
  /**
   * Milliseconds a call may run before its worker is replaced and the request answered 504;
   * `0` or `Infinity` for no limit. (The library's own default stays `Infinity`.)
   * @default 30_000
   */
  callTimeout?: number;
  /**
   * Milliseconds a running call whose client closed the connection has to finish before it is
   * stopped, which ends its worker (the pool starts another). A call still queued is dropped at
   * once. A short call finishes within the grace, so a client that leaves mid-call costs no
   * thread boot; a long or stuck one is still stopped. `0` stops it at once.
   * @default 1_000
   */
  abandonGrace?: number;
  /**
   * The most calls that may wait for a thread (the library's `maxQueue`): a request beyond it
   * is answered 503 with `Retry-After: 1` at once instead of waiting, so an overloaded server
   * sheds load rather than holding every request until it times out.
   * @default Infinity (no bound)
   */
  maxQueue?: number;
  /**
   * Milliseconds every worker of a new version has to load and answer; slower fails the upgrade.
   * @default 10_000
   */
  loadTimeout?: number;
  /**
   * Milliseconds an old version has to finish its calls after an upgrade before its workers are terminated.
   * @default 30_000
   */
  drainTimeout?: number;
  /**
   * Largest request body accepted, in bytes; larger ones are answered 413 without being read whole.
   * @default 1_048_576 (1 MiB)
   */
  maxBody?: number;
  /**
   * Bearer token the admin routes (`/_hot/...`) require: at least 16 characters, no
   * whitespace. Without one they are open on a loopback host and refused on any other.
   * @default undefined
   */
  adminToken?: string;
  /**
   * `Host` header values accepted besides the address served and the loopback names
   * (`localhost`, `127.0.0.1`, `[::1]`, with the port): `name` (any port) or `name:port`.
   * Any other `Host` is answered 403, which defeats DNS rebinding.
   * @default []
   */
  allowHosts?: readonly string[];
  /**
   * The one foreign origin (`https://app.example`) whose pages may call `/call/*` from a
   * browser; CORS answers and preflights are sent for it. Other origins are answered 403.
   * @default undefined (no cross-origin calls)
   */
  cors?: string;
  /**
   * V8 heap limits of every worker, e.g. `{ maxOldGenerationSizeMb: 256 }`. A worker over
   * them dies and is replaced; its call answers 500 `ERR_HOT_WORKER_EXIT`.
   * @default undefined (Node's defaults)
   */
  resourceLimits?: ResourceLimits;
  /**
   * Put the function's stack trace in 500 answers (for development; it shows file paths).
   * @default false
   */
  exposeStack?: boolean;
  /**
   * Watch every input file of the current version and upgrade when one changes.
   * @default false
   */
  watch?: boolean;
  /**
   * Upgrades started by watch mode go ahead even when the new version drops exports the
   * current one has (an admin upgrade asks for it itself).
   * @default false
   */
  allowBreaking?: boolean;
  /**
   * Quiet time in watch mode after the last change before upgrading, in milliseconds.
   * @default 100
   */
  watchDebounce?: number;
  /**
   * Milliseconds `close()` waits for open requests and calls before cutting them.
   * @default 10_000
   */
  shutdownTimeout?: number;
  /**
   * Where bundles are written, relative to the working directory.
   * @default '.hotworker'
   */
  cacheDir?: string;
  /**
   * How advice in error messages names the library's options, for readers who set them some
   * other way: the CLI passes `{ loadTimeout: '--load-timeout', … }`. Options not listed keep
   * their library name.
   * @default {} (library names)
   */
  optionNames?: Readonly<Record<string, string>>;
  /**
   * Where events are logged, one line each.
   * @default a human-text logger on stdout
   */
  logger?: Logger;
}

/** How a shutdown ended. */
export interface CloseResult {
  /** True when requests or calls were still running at `shutdownTimeout` and were cut. */
  readonly forced: boolean;
}

/** Why the server could not start: a user mistake, told in one line. */
export class ServeError extends Error {
  override name = 'ServeError';
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}
