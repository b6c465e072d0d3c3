/**
 * `hotworker serve <module>`: the module's exported functions over HTTP, upgraded on SIGHUP,
 * through the admin API, or (with --watch) when a source file changes.
 */
import type { ResourceLimits } from 'node:worker_threads';
import { MAX_TIMEOUT_MS } from '../options.js';
import { normalizeOrigin, validateAdminToken } from '../serve/access.js';
import { createLogger } from '../serve/log.js';
import type { HotServer } from '../serve/server.js';
import {
  booleanValue,
  bytesValue,
  integerValue,
  limitMsValue,
  millisecondsValue,
  textValue,
  UsageError,
  type ValueReader,
} from './args.js';
import type { Command } from './command.js';
import { CONFIG_FILE, loadConfig } from './config.js';
import { type FlagTable, flagHelp, flagOf, parseFlags } from './flags.js';

/** An admin token, checked before anything loads. */
function adminTokenValue(raw: unknown, label: string): string {
  const token = textValue(raw, label);
  try {
    validateAdminToken(token, label);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return token;
}

/** Host names or addresses, optionally with :port: comma-separated on the command line, an array in the config file. */
function allowHostsValue(raw: unknown, label: string): string[] {
  const hosts = Array.isArray(raw) ? raw : textValue(raw, label).split(',');
  return hosts.map((host) => {
    const name = typeof host === 'string' ? host.trim() : '';
    if (!/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?$/i.test(name)) {
      throw new UsageError(`${label} takes host names or addresses, optionally with :port, comma-separated; got '${String(host)}'`);
    }
    return name;
  });
}

/** How idle workers wait: the library's `atomics` option. */
const atomicsValue: ValueReader<'auto' | 'async' | 'sync'> = (raw, label) => {
  if (raw !== 'auto' && raw !== 'async' && raw !== 'sync') {
    throw new UsageError(`${label} must be auto, async or sync, got '${String(raw)}'`);
  }
  return raw;
};

const corsValue: ValueReader<string> = (raw, label) => {
  try {
    return normalizeOrigin(textValue(raw, label));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
};

/**
 * Every flag of `serve`. Its `option` is also its key in hotworker.config.json, and the name
 * the library's option has where they overlap. Add a flag here and it is parsed, documented
 * in --help and accepted in the config file.
 */
export const serveFlags: FlagTable = [
  {
    flag: 'port',
    short: 'p',
    option: 'port',
    arg: '<n>',
    read: integerValue(0, 65535),
    help: 'TCP port; 0 picks a free one (default: 3000)',
  },
  { flag: 'host', option: 'host', arg: '<address>', read: textValue, help: 'address to listen on (default: 127.0.0.1)' },
  {
    flag: 'threads',
    short: 't',
    option: 'threads',
    arg: '<n>',
    read: integerValue(1),
    help: 'worker threads per version (default: half the cores, at least 1)',
  },
  {
    flag: 'watch',
    short: 'w',
    option: 'watch',
    switch: true,
    read: booleanValue,
    help: 'upgrade when the module or any local file it imports changes',
  },
  {
    flag: 'no-standby',
    option: 'noStandby',
    switch: true,
    read: booleanValue,
    help: 'boot threads at each upgrade instead of keeping standby threads ready\n(saves the memory of one idle set of threads; upgrades take longer)',
  },
  {
    flag: 'atomics',
    option: 'atomics',
    arg: '<mode>',
    read: atomicsValue,
    help: 'how idle workers wait: auto blocks them for the fastest wake until a call leaves\nwork behind, then keeps their event loop running; async always keeps it running;\nsync always blocks (work a call left waits for the next call) (default: auto)',
  },
  {
    flag: 'call-timeout',
    option: 'callTimeout',
    arg: '<ms>',
    read: limitMsValue,
    help: 'a call running longer is stopped and answered 504; 0 for none (default: 30000)',
  },
  {
    flag: 'abandon-grace',
    option: 'abandonGrace',
    arg: '<ms>',
    read: integerValue(0, MAX_TIMEOUT_MS),
    help: 'when a client closes its connection mid-call, time the running call has to finish\nbefore its worker is ended; a queued call is dropped at once; 0 ends it at once (default: 1000)',
  },
  {
    flag: 'max-queue',
    option: 'maxQueue',
    arg: '<n>',
    read: integerValue(0),
    help: 'calls that may wait for a thread; more are answered 503 with Retry-After at once\n(default: no bound)',
  },
  {
    flag: 'load-timeout',
    option: 'loadTimeout',
    arg: '<ms>',
    read: millisecondsValue,
    help: 'time a new version has to load and answer before its upgrade fails (default: 10000)',
  },
  {
    flag: 'drain-timeout',
    option: 'drainTimeout',
    arg: '<ms>',
    read: millisecondsValue,
    help: 'after an upgrade, time the old version has to finish its calls (default: 30000)',
  },
  {
    flag: 'allow-breaking',
    option: 'allowBreaking',
    switch: true,
    read: booleanValue,
    help: 'watch-mode and SIGHUP upgrades go ahead even when the new version drops exports',
  },
  {
    flag: 'max-body',
    option: 'maxBody',
    arg: '<size>',
    read: bytesValue,
    help: 'largest request body, e.g. 1048576, 512kb, 2mb; larger is 413 (default: 1mb)',
  },
  {
    flag: 'admin-token',
    option: 'adminToken',
    arg: '<token>',
    read: adminTokenValue,
    help: 'require "Authorization: Bearer <token>" on /_hot/*; needed to use them on a\nnon-loopback --host; 16+ characters, no spaces (default: $HOTWORKER_ADMIN_TOKEN,\nwhich keeps it out of ps)',
  },
  {
    flag: 'allow-host',
    option: 'allowHosts',
    arg: '<names>',
    read: allowHostsValue,
    help: 'more Host headers to answer, comma-separated, e.g. api.example,10.0.0.5:3000\n(default: the address served and localhost, 127.0.0.1, [::1] with the port)',
  },
  {
    flag: 'cors',
    option: 'cors',
    arg: '<origin>',
    read: corsValue,
    help: 'let pages of this one origin call /call/* from a browser (default: none)',
  },
  {
    flag: 'max-old-space-mb',
    option: 'maxOldSpaceMb',
    arg: '<n>',
    read: integerValue(16, 1024 * 1024),
    help: "heap cap of each worker; one over it is replaced (default: Node's)",
  },
  {
    flag: 'max-young-gen-mb',
    option: 'maxYoungGenMb',
    arg: '<n>',
    read: integerValue(1, 1024 * 1024),
    help: "young-generation cap of each worker (default: Node's)",
  },
  { flag: 'json-logs', option: 'jsonLogs', switch: true, read: booleanValue, help: 'log one JSON object per line instead of text' },
  {
    flag: 'expose-stack',
    option: 'exposeStack',
    switch: true,
    read: booleanValue,
    help: 'include stack traces in 500 answers (development only)',
  },
  {
    flag: 'shutdown-timeout',
    option: 'shutdownTimeout',
    arg: '<ms>',
    read: millisecondsValue,
    help: 'on SIGTERM, time open requests have to finish (default: 10000)',
  },
  { flag: 'cache-dir', option: 'cacheDir', arg: '<dir>', read: textValue, help: 'where bundles are written (default: .hotworker)' },
  {
    flag: 'config',
    option: 'config',
    arg: '<file>',
    read: textValue,
    inConfig: false,
    help: `options as JSON, keys named as in the library: {"port": 8080, "callTimeout": 5000}\n(default: ${CONFIG_FILE} beside <module>, if there is one; flags win)`,
  },
];

const help = `Usage: hotworker serve <module> [options]

Serves the exported functions of <module> (a .ts, .js or .cjs file) over HTTP, each call
in a worker thread, and upgrades the module while it serves, with no request lost.

Options:
${flagHelp(serveFlags)}

Routes:
  POST /call/<fn>     body: JSON array of arguments (any other JSON value is the one argument)
                      200 result | 400 bad JSON | 404 no such function | 413 body too large
                      500 the function threw: {"error":{"name","message","code"}} | 504 timeout | 503 closing
  GET  /_hot/status   versions, threads, calls in flight, calls/errors/latency per version
  POST /_hot/upgrade  rebuild and upgrade now; body {"restart":true} or {"allowBreaking":true} (optional)
  POST /_hot/rollback back to the previous version
  GET  /metrics       Prometheus text format
Every answer carries the header "hotworker-version: <id>-<hash8>".

Signals: SIGHUP upgrades (not on Windows: use "hotworker upgrade" or --watch); SIGTERM and
SIGINT finish open requests, close the pools and exit 0 (a second one exits at once).

Example:
  hotworker serve examples/clock/clock.ts --watch
  curl -X POST localhost:3000/call/now`;

function resourceLimits(old: number | undefined, young: number | undefined): ResourceLimits | undefined {
  if (old === undefined && young === undefined) return undefined;
  return {
    ...(old === undefined ? {} : { maxOldGenerationSizeMb: old }),
    ...(young === undefined ? {} : { maxYoungGenerationSizeMb: young }),
  };
}

/** How the library's options are named to a `serve` user: by their flags. */
const flagNames: Readonly<Record<string, string>> = Object.fromEntries(
  serveFlags.flatMap((flag) => {
    const name = flagOf(serveFlags, flag.option);
    return name === undefined ? [] : [[flag.option, name]];
  }),
);

export const serve: Command = {
  name: 'serve',
  summary: 'serve a module over HTTP, with live upgrades (and --watch)',
  help,
  optionNames: flagNames,
  async run(argv) {
    const parsed = parseFlags(argv, serveFlags, 1);
    if (parsed.help) {
      process.stdout.write(`${help}\n`);
      return 0;
    }
    const entry = parsed.positionals[0];
    if (entry === undefined) throw new UsageError('missing <module>: hotworker serve <module> [options]');
    const config = loadConfig(serveFlags, entry, parsed.options.config as string | undefined);
    // Flags win over the config file.
    const given = { ...config.options, ...parsed.options } as Record<string, unknown>;
    const logger = createLogger({ json: given.jsonLogs === true });
    if (config.file !== undefined)
      logger.info('config', `options from ${config.file}: ${Object.keys(config.options).join(', ') || 'none'}`);
    const options = {
      entry,
      port: (given.port as number | undefined) ?? 3000,
      host: (given.host as string | undefined) ?? '127.0.0.1',
      threads: given.threads as number | undefined,
      callTimeout: given.callTimeout as number | undefined,
      abandonGrace: given.abandonGrace as number | undefined,
      maxQueue: given.maxQueue as number | undefined,
      allowHosts: given.allowHosts as string[] | undefined,
      cors: given.cors as string | undefined,
      resourceLimits: resourceLimits(given.maxOldSpaceMb as number | undefined, given.maxYoungGenMb as number | undefined),
      loadTimeout: given.loadTimeout as number | undefined,
      drainTimeout: given.drainTimeout as number | undefined,
      allowBreaking: given.allowBreaking === true,
      maxBody: given.maxBody as number | undefined,
      adminToken:
        (given.adminToken as string | undefined) ??
        (process.env.HOTWORKER_ADMIN_TOKEN ? adminTokenValue(process.env.HOTWORKER_ADMIN_TOKEN, 'HOTWORKER_ADMIN_TOKEN') : undefined),
      exposeStack: given.exposeStack === true,
      watch: given.watch === true,
      standby: given.noStandby !== true,
      atomics: given.atomics as 'auto' | 'async' | 'sync' | undefined,
      shutdownTimeout: given.shutdownTimeout as number | undefined,
      cacheDir: given.cacheDir as string | undefined,
      optionNames: flagNames,
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
    const upgrade = () => void server?.upgrade('SIGHUP', options.allowBreaking ? { allowBreaking: true } : {}).catch(() => undefined);
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
