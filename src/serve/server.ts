/**
 * `HotServer`: a hot module served over HTTP. Owns the module, the HTTP server, the figures
 * behind `/_hot/status` and `/metrics`, watch mode, and the graceful shutdown.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HotError, type HotModule, hot, type UpgradeEvent, type UpgradeOptions, type VersionInfo } from '../index.js';
import { got, invalid, MAX_TIMEOUT_MS } from '../options.js';
import { type AccessPolicy, accessPolicy } from './access.js';
import { Activity } from './activity.js';
import type { Transition } from './admin.js';
import { abandonCall } from './call.js';
import { lastOnConnection, trackAnswer, untrackAnswer } from './connection-answers.js';
import { type FailureSummary, failureLine, summarizeFailure } from './failure.js';
import { LiveFeed } from './live.js';
import { createLogger, displayPath as display, type Logger } from './log.js';
import { ServeMetrics } from './metrics.js';
import { OpenAnswers } from './open-answers.js';
import { OpenCalls } from './open-calls.js';
import { type CloseResult, DEFAULT_ABANDON_GRACE, DEFAULT_CALL_TIMEOUT, ServeError, type ServeOptions } from './options.js';
import { RolloutLog } from './rollout.js';
import { type RouterContext, route } from './router.js';
import { CallStats } from './stats.js';
import type { ServeStatus } from './status.js';
import { versionJson, versionLabel, versionName } from './versions.js';
import { InputWatcher } from './watch.js';
import { duration, plural } from './words.js';

export class HotServer implements RouterContext {
  readonly module: HotModule;
  readonly metrics: ServeMetrics;
  readonly stats = new CallStats();
  /** Upgrades, rollbacks, failures and crashes, for the status document and the status page. */
  readonly activity = new Activity();
  /** The status page's live figures and events (`GET /_hot/events`). */
  readonly live: LiveFeed;
  readonly logger: Logger;
  readonly access: AccessPolicy;
  readonly openCalls = new OpenCalls();
  readonly maxBody: number;
  readonly exposeStack: boolean;
  /** How advice in errors names the library's options (the CLI: by its flags). */
  readonly optionNames: Readonly<Record<string, string>>;
  readonly #http: Server;
  /** Watch-mode upgrades go ahead even when the new version drops exports. */
  readonly #allowBreaking: boolean;
  readonly #shutdownTimeout: number;
  /** What a running call whose client went away has to finish before its worker is ended. */
  readonly #abandonGrace: number;
  /** The call timeout the module was opened with (`Infinity` for none). */
  readonly #callTimeout: number;
  readonly #startedAt = Date.now();
  /** Answers not yet finished; shutdown waits until this is empty. */
  readonly #open = new OpenAnswers();
  /** The `close` listener of every answer (called with the answer as `this`): one function, no closure per request. */
  readonly #closed: (this: ServerResponse) => void;
  #onIdle: (() => void) | undefined;
  #watcher: InputWatcher | undefined;
  /** The tail of this server's upgrades and rollbacks: one at a time, so log lines name the right trigger. */
  #transitions: Promise<unknown> = Promise.resolve();
  /** What asked for the transition running now (`watch`, `admin`, `SIGHUP`). */
  #trigger = 'api';
  /** Canary steps and the watch after an upgrade, as status shows them. */
  readonly #rollout: RolloutLog;
  /** True while an upgrade or rollback runs: a shutdown then cancels it rather than waiting for it. */
  /** Cancels the upgrade or rollback running now; a shutdown aborts it. */
  #cancelTransition: AbortController | undefined;
  /** What the running transition is, for a client that waits behind it. */
  #busy: string | undefined;
  /** `Date.now()` when the running (or last) upgrade or rollback began. */
  #transitionStartedAt = 0;
  #counts = { upgrades: { done: 0, unchanged: 0, failed: 0 }, rollbacks: { done: 0, failed: 0 } };
  #lastFailure: (FailureSummary & { at: string; trigger: string }) | undefined;
  #closing: Promise<CloseResult> | undefined;
  #url = '';

  private constructor(module: HotModule, options: ServeOptions, logger: Logger, access: AccessPolicy) {
    this.module = module;
    this.logger = logger;
    this.metrics = new ServeMetrics(module);
    this.access = access;
    this.maxBody = options.maxBody ?? 1024 * 1024;
    this.exposeStack = options.exposeStack === true;
    this.optionNames = options.optionNames ?? {};
    this.#allowBreaking = options.allowBreaking === true;
    this.#shutdownTimeout = options.shutdownTimeout ?? 10_000;
    this.#abandonGrace = options.abandonGrace ?? DEFAULT_ABANDON_GRACE;
    this.live = new LiveFeed(this);
    this.#callTimeout = callTimeoutOf(options);
    const server = this;
    this.#closed = function (this: ServerResponse) {
      server.#answerClosed(this);
    };
    this.#http = createServer((request, response) => this.#handle(request, response));
    // A client that sent `Expect: 100-continue` (curl does, for bodies over 1 MiB) waits for
    // the go-ahead: a body declared too large is refused before it is ever sent.
    this.#http.on('checkContinue', (request, response) => {
      if (Number(request.headers['content-length']) > this.maxBody) response.setHeader('connection', 'close');
      else response.writeContinue();
      this.#handle(request, response);
    });
    this.#rollout = new RolloutLog(module as HotModule, logger);
    module.on('upgrade', (event) => this.#logTransition('upgrade', event));
    module.on('rollback', (event) => this.#logTransition('rollback', event));
    module.on('canary', (event) => this.activity.canary(event));
    module.on('crash', (event) => {
      const { version, error } = event;
      this.activity.crash(event);
      this.metrics.recordCrash(versionLabel(version));
      logger.warn('crash', `a worker of ${versionName(version)} died and was replaced: ${error.message}`, {
        version: versionLabel(version),
      });
    });
  }

  /**
   * Loads the module, starts the HTTP server and resolves once it listens. Rejects
   * {@link ServeError} (`ERR_SERVE_LISTEN`) when the port is taken, or the library's
   * `HotError` when the module does not build or load.
   */
  static async start(options: ServeOptions): Promise<HotServer> {
    const logger = options.logger ?? createLogger();
    let port = 0;
    if (options.abandonGrace !== undefined) assertAbandonGrace(options.abandonGrace);
    // Checked before the module loads: a bad token or origin is refused at once.
    const access = accessPolicy({
      host: options.host ?? '127.0.0.1',
      port: () => port,
      allowHosts: options.allowHosts,
      cors: options.cors,
      adminToken: options.adminToken,
    });
    const module = await hot(options.entry, {
      ...(options.threads === undefined ? {} : { threads: options.threads }),
      ...(options.standby === undefined ? {} : { standby: options.standby }),
      ...(options.atomics === undefined ? {} : { atomics: options.atomics }),
      callTimeout: callTimeoutOf(options),
      ...(options.maxQueue === undefined ? {} : { maxQueue: options.maxQueue }),
      ...(options.drainTimeout === undefined ? {} : { drainTimeout: options.drainTimeout }),
      ...(options.loadTimeout === undefined ? {} : { loadTimeout: options.loadTimeout }),
      ...(options.resourceLimits === undefined ? {} : { resourceLimits: options.resourceLimits }),
      ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }),
    });
    const server = new HotServer(module, options, logger, access);
    try {
      port = await server.#listen(options.port ?? 3000, options.host ?? '127.0.0.1');
    } catch (error) {
      await module.close();
      throw error;
    }
    const { version } = module;
    logger.info('ready', `serving ${display(version.entry)} ${versionName(version)}, exports: ${version.exports.join(', ') || 'none'}`, {
      version: versionLabel(version),
      exports: version.exports,
    });
    if (server.access.admin.mode === 'refused') {
      logger.warn('admin-disabled', `admin routes (/_hot/...) are refused on ${options.host}: pass --admin-token to enable them`);
    }
    if (options.watch === true) server.#startWatch(options.watchDebounce);
    logger.info('listening', `listening on ${server.url}`, { url: server.url });
    return server;
  }

  /** `http://host:port` the server answers on. */
  get url(): string {
    return this.#url;
  }

  /** True once `close()` has been called. */
  get closing(): boolean {
    return this.#closing !== undefined;
  }

  /** The files watch mode watches now (empty without watch mode). */
  get watchedFiles(): readonly string[] {
    return this.#watcher?.files ?? [];
  }

  /**
   * Rebuilds the module and, when it changed, shifts traffic to the new version. Resolves
   * once the old version has drained; rejects (old version still serving) when the new one
   * does not build, load or keep the exports. One upgrade or rollback runs at a time.
   * @param trigger - what asked for it, for the log (`watch`, `admin`, `SIGHUP`).
   */
  upgrade(trigger: string, options: UpgradeOptions = {}): Promise<Transition> {
    return this.#serialize(trigger, 'upgrade', async (signal) => {
      const previous = this.module.version;
      const version = await this.module.upgrade({ ...options, signal });
      const changed = version !== previous;
      if (!changed) {
        this.#counts.upgrades.unchanged++;
        this.metrics.recordUpgrade('unchanged');
        this.logger.info('unchanged', `upgrade (${trigger}): source unchanged, ${versionName(version)} keeps serving`, {
          trigger,
          version: versionLabel(version),
        });
      }
      return { previous, version, changed };
    });
  }

  /** Shifts back to the version before the current one. Rejects `ERR_HOT_NO_PREVIOUS` when there is none. */
  rollback(trigger: string): Promise<Transition> {
    return this.#serialize(trigger, 'rollback', async (signal) => {
      const previous = this.module.version;
      const version = await this.module.rollback({ signal });
      return { previous, version, changed: true };
    });
  }

  /** The upgrade or rollback running now, as `upgrade (watch)`; undefined when none. */
  get busy(): string | undefined {
    return this.#busy;
  }

  /** The version serving now; undefined once the module is closed. */
  serving(): VersionInfo | undefined {
    return this.module.closed ? undefined : this.module.version;
  }

  /** The document `GET /_hot/status` answers. */
  status(): ServeStatus {
    const { module } = this;
    const stats = module.stats;
    return {
      module: module.version.entry,
      pid: process.pid,
      uptimeSeconds: Math.round((Date.now() - this.#startedAt) / 1000),
      version: versionJson(module.version),
      history: module.history.map(versionJson),
      threads: stats.current.threads,
      standbyThreads: stats.standby.threadIds.length,
      queued: stats.current.queued,
      utilization: stats.current.utilization,
      inFlight: stats.inFlight,
      crashes: stats.crashes,
      resentCalls: stats.resentCalls,
      alive: stats.alive.map((alive) => ({
        version: versionLabel(alive.version),
        inFlight: alive.inFlight,
        threads: alive.threadIds.length,
      })),
      versions: this.stats.figures(),
      upgrades: { ...this.#counts.upgrades },
      rollbacks: { ...this.#counts.rollbacks },
      lastFailure: this.#lastFailure ?? null,
      callTimeoutMs: Number.isFinite(this.#callTimeout) ? this.#callTimeout : null,
      abandonGraceMs: this.#abandonGrace,
      watch: this.#watcher === undefined ? null : { files: this.#watcher.files },
      rollout: this.#rollout.json(),
      recent: this.activity.entries.slice(-RECENT_IN_STATUS),
    };
  }

  /**
   * Shuts down gracefully: stops accepting, answers 503 to new requests on open connections,
   * lets open requests and their calls finish (up to `shutdownTimeout`), then closes the
   * module's pools and every connection. Safe to call more than once.
   */
  close(): Promise<CloseResult> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<CloseResult> {
    this.#watcher?.close();
    // An upgrade still loading would hold its admin request (and so the shutdown) until its
    // load timeout: it is cancelled now if it has not shifted yet. The module stays open, so
    // requests accepted before the shutdown (a body still arriving) are still called.
    this.#cancelTransition?.abort(
      new HotError('ERR_HOT_CLOSED', 'The server is shutting down: the upgrade or rollback was cancelled before traffic shifted'),
    );
    // Open status pages would hold the shutdown until its deadline; they reconnect to the next server.
    this.live.close();
    const closed = new Promise<void>((resolve) => this.#http.close(() => resolve()));
    // Node 20 keeps answering on kept-alive connections until they go idle: ask each open
    // answer to close its connection, and end the idle ones now.
    // Only the last answer of a connection: pipelined answers queued behind it would be lost.
    for (const response of this.#open) {
      if (!response.headersSent && lastOnConnection(response)) response.setHeader('connection', 'close');
    }
    this.#http.closeIdleConnections();
    const deadline = Date.now() + this.#shutdownTimeout;
    const open = this.#open.size;
    let forced = !(await this.#within(deadline, this.#requestsDone()));
    if (forced) {
      this.logger.warn(
        'shutdown-forced',
        `${this.#open.size} of ${plural(open, 'request')} still open after ${duration(this.#shutdownTimeout)}; cutting them${this.#killing()}`,
        { killed: this.openCalls.size },
      );
      await this.module.destroy();
    } else if (!(await this.#within(deadline, this.module.close()))) {
      forced = true;
      this.logger.warn(
        'shutdown-forced',
        `calls still running after ${duration(this.#shutdownTimeout)}; terminating their workers${this.#killing()}`,
        {
          killed: this.openCalls.size,
        },
      );
      await this.module.destroy();
    }
    this.#http.closeAllConnections();
    await closed;
    return { forced };
  }

  /** `; killing spin() on 1-ab12cd34, running 10.0 s`, or nothing when no call is in flight. */
  #killing(): string {
    return this.openCalls.size === 0 ? '' : `; killing ${this.openCalls.describe()}`;
  }

  #handle(request: IncomingMessage, response: ServerResponse): void {
    this.#open.add(response);
    // `on`, not `once`: an answer closes once, and `once` would wrap the listener per request.
    response.on('close', this.#closed);
    trackAnswer(request, response, this.#connectionClosed);
    void route(this, request, response);
  }

  /** A connection closed: the answers still queued on it get no 'close' of their own. */
  readonly #connectionClosed = (answers: ServerResponse[]): void => {
    for (const response of answers) this.#answerClosed(response);
  };

  /** An answer is finished (or its client gone). */
  #answerClosed(response: ServerResponse): void {
    abandonCall(response, this.#abandonGrace);
    untrackAnswer(response);
    this.#open.delete(response);
    if (this.#closing !== undefined) this.#http.closeIdleConnections();
    if (this.#open.size === 0) this.#onIdle?.();
  }

  #requestsDone(): Promise<void> {
    if (this.#open.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#onIdle = resolve;
    });
  }

  /** True when `work` settles before `deadline` (epoch ms). */
  async #within(deadline: number, work: Promise<unknown>): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
    });
    try {
      return await Promise.race([work.then(() => true as const), expired]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Listens; resolves with the port bound. */
  #listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) => {
        this.#http.off('listening', onListening);
        reject(listenError(error, port, host));
      };
      const onListening = () => {
        this.#http.off('error', onError);
        const address = this.#http.address() as AddressInfo;
        const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
        this.#url = `http://${shown}:${address.port}`;
        resolve(address.port);
      };
      this.#http.once('error', onError);
      this.#http.once('listening', onListening);
      this.#http.listen(port, host);
    });
  }

  #startWatch(debounceMs: number | undefined): void {
    this.#watcher = new InputWatcher(
      watchList(this.module.version),
      (files) => {
        this.logger.info('change', `changed: ${files.map(display).join(', ')}`, { files });
        return this.upgrade('watch', this.#allowBreaking ? { allowBreaking: true } : {}).catch(() => undefined);
      },
      { logger: this.logger, ...(debounceMs === undefined ? {} : { debounceMs }) },
    );
  }

  #serialize(trigger: string, kind: 'upgrade' | 'rollback', step: (signal: AbortSignal) => Promise<Transition>): Promise<Transition> {
    const run = async (): Promise<Transition> => {
      if (this.#closing !== undefined) throw new HotError('ERR_HOT_CLOSED', `Cannot ${kind}: the server is shutting down`);
      this.#trigger = trigger;
      const cancel = new AbortController();
      this.#cancelTransition = cancel;
      this.#busy = `${kind} (${trigger})`;
      this.#transitionStartedAt = Date.now();
      try {
        return await step(cancel.signal);
      } catch (error) {
        this.#logFailure(kind, trigger, error);
        throw error;
      } finally {
        this.#cancelTransition = undefined;
        this.#busy = undefined;
      }
    };
    const result = this.#transitions.then(run);
    this.#transitions = result.catch(() => undefined);
    return result;
  }

  #logTransition(kind: 'upgrade' | 'rollback', event: UpgradeEvent): void {
    this.#counts[kind === 'upgrade' ? 'upgrades' : 'rollbacks'].done++;
    if (kind === 'upgrade') this.metrics.recordUpgrade('done');
    else this.metrics.recordRollback('done');
    this.activity.transition(kind, this.#trigger, event);
    // The watch set follows the version serving: an upgrade may add or drop an import.
    // A file the new version reads that nothing watched yet may have changed since the build
    // began (the shift and drain take time): the watcher checks those against the start.
    this.#watcher?.update(watchList(event.to), kind === 'upgrade' ? this.#transitionStartedAt : undefined);
    this.#forgetLeftVersions();
    // A forced shutdown cuts a drain short too: say which deadline killed the calls.
    const deadline = this.#closing === undefined ? 'the drain deadline' : 'shutdown';
    const killed = event.killed > 0 ? `, killed ${plural(event.killed, 'call')} at ${deadline}` : '';
    const line = `${versionName(event.from)} → ${versionName(event.to)} in ${duration(event.switchMs)}, drained ${plural(event.drained, 'call')}${killed}`;
    this.logger.info(kind, kind === 'rollback' ? `rollback: ${line}` : line, {
      trigger: this.#trigger,
      from: versionLabel(event.from),
      to: versionLabel(event.to),
      switchMs: event.switchMs,
      drainMs: event.drainMs,
      standby: event.standby,
      drained: event.drained,
      killed: event.killed,
    });
  }

  /**
   * Drops the /metrics series of versions neither in history (at most keepVersions) nor still
   * serving, so that /metrics stays bounded: after each upgrade or rollback, and after a failed
   * attempt (a failed canary served calls under its own version).
   */
  #forgetLeftVersions(): void {
    this.metrics.forgetVersions(
      new Set([...this.module.history, ...this.module.stats.alive.map((alive) => alive.version)].map(versionLabel)),
    );
  }

  #logFailure(kind: 'upgrade' | 'rollback', trigger: string, error: unknown): void {
    const summary = summarizeFailure(error, this.optionNames);
    if (this.#closing !== undefined && summary.code === 'ERR_HOT_CLOSED') {
      // Shutdown stopped it before the shift: nothing failed, and nothing changed.
      this.logger.info(`${kind}-cancelled`, `${kind} (${trigger}) cancelled: shutting down`, { trigger });
      return;
    }
    this.#forgetLeftVersions();
    if (kind === 'upgrade') {
      this.#counts.upgrades.failed++;
      this.metrics.recordUpgrade('failed');
    } else {
      this.#counts.rollbacks.failed++;
      this.metrics.recordRollback('failed');
    }
    this.#lastFailure = { ...summary, at: new Date().toISOString(), trigger };
    this.activity.failure(kind, trigger, versionLabel(this.module.version), summary);
    const serving = this.module.closed ? '' : `, ${versionName(this.module.version)} keeps serving`;
    this.logger.error(`${kind}-failed`, `${kind} (${trigger}) failed${serving}: ${failureLine(summary)}`, {
      trigger,
      code: summary.code,
      where: summary.where,
      version: versionLabel(this.module.version),
    });
  }
}

/** What watch mode watches for a version: its inputs, and its entry as named (a symlink's swap counts). */
function watchList(version: VersionInfo): string[] {
  return [...version.inputs, version.entry];
}

/** Activity entries `/_hot/status` shows; the status page gets more. */
const RECENT_IN_STATUS = 10;

/** Refuses (`ERR_HOT_INVALID_OPTION`) an `abandonGrace` that is not a timer's whole number of milliseconds. */
function assertAbandonGrace(ms: unknown): void {
  if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 0 || ms > MAX_TIMEOUT_MS) {
    throw invalid(`Expected \`abandonGrace\` to be an integer from 0 to ${MAX_TIMEOUT_MS} (milliseconds), got ${got(ms)}`);
  }
}

/** `serve` bounds every call unless told not to: `0` (or `Infinity`) is no limit. */
function callTimeoutOf(options: ServeOptions): number {
  const ms = options.callTimeout ?? DEFAULT_CALL_TIMEOUT;
  return ms === 0 ? Number.POSITIVE_INFINITY : ms;
}

function listenError(error: NodeJS.ErrnoException, port: number, host: string): Error {
  switch (error.code) {
    case 'EADDRINUSE':
      return new ServeError(
        'ERR_SERVE_LISTEN',
        `port ${port} on ${host} is already in use (pick another with --port, or --port 0 for any free one)`,
      );
    case 'EACCES':
      return new ServeError('ERR_SERVE_LISTEN', `no permission to listen on ${host}:${port} (ports below 1024 need privileges)`);
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return new ServeError('ERR_SERVE_LISTEN', `cannot listen on ${host}: no such local address`);
    default:
      return new ServeError('ERR_SERVE_LISTEN', `cannot listen on ${host}:${port}: ${error.message}`);
  }
}

export type { CloseResult, ServeOptions, ServeStatus, Transition };
export { ServeError };
