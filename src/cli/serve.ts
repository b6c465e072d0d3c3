/**
 * `hotworker serve <module>`: the module's exported functions over HTTP, upgraded on SIGHUP,
 * through the admin API, or (with --watch) when a source file changes.
 */
import { normalizeOrigin, validateAdminToken } from '../serve/access.js';
import { createLogger } from '../serve/log.js';
import type { HotServer } from '../serve/server.js';
import { bytes, integer, limitMs, milliseconds, type Parsed, parse, text, UsageError } from './args.js';
import type { Command } from './command.js';

const help = `Usage: hotworker serve <module> [options]

Serves the exported functions of <module> (a .ts or .js file) over HTTP, each call
in a worker thread, and upgrades the module while it serves, with no request lost.

Options:
  -p, --port <n>              TCP port; 0 picks a free one (default: 3000)
      --host <address>        address to listen on (default: 127.0.0.1)
  -t, --threads <n>           worker threads per version (default: half the cores, at least 1)
  -w, --watch                 upgrade when the module or any local file it imports changes
      --no-standby            boot threads at each upgrade instead of keeping standby threads ready
                              (saves the memory of one idle set of threads; upgrades take longer)
      --call-timeout <ms>     a call running longer is stopped and answered 504; 0 for none (default: 30000)
      --drain-timeout <ms>    after an upgrade, time the old version has to finish its calls (default: 30000)
      --max-body <size>       largest request body, e.g. 1048576, 512kb, 2mb; larger is 413 (default: 1mb)
      --admin-token <token>   require "Authorization: Bearer <token>" on /_hot/*; needed to use them on a
                              non-loopback --host; 16+ characters, no spaces (default: $HOTWORKER_ADMIN_TOKEN,
                              which keeps it out of ps)
      --allow-host <names>    more Host headers to answer, comma-separated, e.g. api.example,10.0.0.5:3000
                              (default: the address served and localhost, 127.0.0.1, [::1] with the port)
      --cors <origin>         let pages of this one origin call /call/* from a browser (default: none)
      --max-old-space-mb <n>  heap cap of each worker; one over it is replaced (default: Node's)
      --max-young-gen-mb <n>  young-generation cap of each worker (default: Node's)
      --json-logs             log one JSON object per line instead of text
      --expose-stack          include stack traces in 500 answers (development only)
      --shutdown-timeout <ms> on SIGTERM, time open requests have to finish (default: 10000)
      --cache-dir <dir>       where bundles are written (default: .hotworker)
  -h, --help                  show this help

Routes:
  POST /call/<fn>     body: JSON array of arguments (any other JSON value is the one argument)
                      200 result | 400 bad JSON | 404 no such function | 413 body too large
                      500 the function threw: {"error":{"name","message","code"}} | 504 timeout | 503 closing
  GET  /_hot/status   versions, threads, calls in flight, calls/errors/latency per version
  POST /_hot/upgrade  rebuild and upgrade now; body {"restart":true} or {"allowBreaking":true} (optional)
  POST /_hot/rollback back to the previous version
  GET  /metrics       Prometheus text format
Every answer carries the header "hotworker-version: <id>-<hash8>".

Signals: SIGHUP upgrades; SIGTERM and SIGINT finish open requests, close the pools and exit 0
(a second one exits at once).

Example:
  hotworker serve examples/clock/clock.ts --watch
  curl -X POST localhost:3000/call/now`;

/** The admin token from --admin-token or HOTWORKER_ADMIN_TOKEN, checked before anything loads. */
function adminToken(values: Parsed['values']): string | undefined {
  const flag = text(values, 'admin-token');
  const token = flag ?? (process.env.HOTWORKER_ADMIN_TOKEN || undefined);
  if (token === undefined) return undefined;
  try {
    validateAdminToken(token, flag === undefined ? 'HOTWORKER_ADMIN_TOKEN' : '--admin-token');
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return token;
}

function allowHosts(values: Parsed['values']): string[] | undefined {
  const raw = text(values, 'allow-host');
  if (raw === undefined) return undefined;
  const hosts = raw.split(',').map((host) => host.trim());
  const bad = hosts.find((host) => !/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?$/i.test(host));
  if (bad !== undefined)
    throw new UsageError(`--allow-host takes host names or addresses, optionally with :port, comma-separated; got '${bad}'`);
  return hosts;
}

function cors(values: Parsed['values']): string | undefined {
  const raw = text(values, 'cors');
  if (raw === undefined) return undefined;
  try {
    return normalizeOrigin(raw);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function resourceLimits(values: Parsed['values']): { maxOldGenerationSizeMb?: number; maxYoungGenerationSizeMb?: number } | undefined {
  const old = integer(values, 'max-old-space-mb', 16, 1024 * 1024);
  const young = integer(values, 'max-young-gen-mb', 1, 1024 * 1024);
  if (old === undefined && young === undefined) return undefined;
  return {
    ...(old === undefined ? {} : { maxOldGenerationSizeMb: old }),
    ...(young === undefined ? {} : { maxYoungGenerationSizeMb: young }),
  };
}

export const serve: Command = {
  name: 'serve',
  summary: 'serve a module over HTTP, with live upgrades (and --watch)',
  help,
  async run(argv) {
    const { values, positionals } = parse(
      argv,
      {
        port: { type: 'string', short: 'p' },
        host: { type: 'string' },
        threads: { type: 'string', short: 't' },
        watch: { type: 'boolean', short: 'w' },
        'no-standby': { type: 'boolean' },
        'call-timeout': { type: 'string' },
        'drain-timeout': { type: 'string' },
        'max-body': { type: 'string' },
        'admin-token': { type: 'string' },
        'allow-host': { type: 'string' },
        cors: { type: 'string' },
        'max-old-space-mb': { type: 'string' },
        'max-young-gen-mb': { type: 'string' },
        'json-logs': { type: 'boolean' },
        'expose-stack': { type: 'boolean' },
        'shutdown-timeout': { type: 'string' },
        'cache-dir': { type: 'string' },
      },
      1,
    );
    if (values.help === true) {
      process.stdout.write(`${help}\n`);
      return 0;
    }
    const entry = positionals[0];
    if (entry === undefined) throw new UsageError('missing <module>: hotworker serve <module> [options]');
    const host = text(values, 'host') ?? '127.0.0.1';
    if (host.trim() === '') throw new UsageError('--host must not be empty');
    const logger = createLogger({ json: values['json-logs'] === true });
    const options = {
      entry,
      port: integer(values, 'port', 0, 65535) ?? 3000,
      host,
      threads: integer(values, 'threads', 1),
      callTimeout: limitMs(values, 'call-timeout'),
      drainTimeout: milliseconds(values, 'drain-timeout'),
      maxBody: bytes(values, 'max-body'),
      adminToken: adminToken(values),
      allowHosts: allowHosts(values),
      cors: cors(values),
      resourceLimits: resourceLimits(values),
      exposeStack: values['expose-stack'] === true,
      watch: values.watch === true,
      standby: values['no-standby'] !== true,
      shutdownTimeout: milliseconds(values, 'shutdown-timeout'),
      cacheDir: text(values, 'cache-dir'),
      logger,
    };
    // Signals are handled from the start: one that arrives while the module loads is
    // acted on once the server is up, never left to its default (killing the process).
    let server: HotServer | undefined;
    let stopping: NodeJS.Signals | undefined;
    let finish: (code: number) => void = () => {};
    const finished = new Promise<number>((resolve) => {
      finish = resolve;
    });
    const stop = (signal: NodeJS.Signals) => {
      if (stopping !== undefined) {
        logger.warn('exit', `${signal} again: exiting now`);
        finish(1);
        return;
      }
      stopping = signal;
      if (server === undefined) return;
      logger.info('shutdown', `${signal}: finishing open requests, then exiting`);
      void server.close().then(({ forced }) => {
        logger.info('exit', forced ? 'stopped (some requests were cut at --shutdown-timeout)' : 'stopped');
        finish(forced ? 1 : 0);
      });
    };
    const upgrade = () => void server?.upgrade('SIGHUP').catch(() => undefined);
    // Windows has no SIGHUP; the admin API upgrades there.
    if (process.platform !== 'win32') process.on('SIGHUP', upgrade);
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    try {
      const { HotServer } = await import('../serve/server.js');
      server = await HotServer.start(options);
    } finally {
      if (server === undefined) {
        process.off('SIGHUP', upgrade);
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
      }
    }
    if (stopping !== undefined) {
      const signal = stopping;
      stopping = undefined;
      stop(signal);
    }
    return finished;
  },
};
