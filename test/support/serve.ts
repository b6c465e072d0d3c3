/**
 * Runs the built `hotworker` CLI as a child process, as a user would: `serve` in the
 * background (waiting on its log lines), other commands to completion.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../../dist/src/serve/log.js';
import { HotServer, type ServeOptions } from '../../dist/src/serve/server.js';
import type { Workspace } from './workspace.js';

/** The built bin. Tests run against dist/ (npm test builds first). */
export const cliPath = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

export interface ServeProcess {
  readonly child: ChildProcess;
  /** `http://127.0.0.1:PORT` from the `listening on` line. */
  readonly url: string;
  /** Every stdout and stderr line so far. */
  readonly lines: string[];
  /** Resolves with the first line (from index `from` on) that matches, or rejects after `timeoutMs`. */
  waitFor(match: RegExp | ((line: string) => boolean), options?: { from?: number; timeoutMs?: number }): Promise<string>;
  /** Resolves with the exit code (or signal) once the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` (SIGTERM by default) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `hotworker serve …args` in `cwd` and resolves once it listens. `--port 0` is added unless a port is given. */
export async function startServe(args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<ServeProcess> {
  const withPort = args.includes('--port') ? args : [...args, '--port', '0'];
  const child = spawn(process.execPath, [cliPath, 'serve', ...withPort], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const listeners = new Set<() => void>();
  const onText = (stream: NodeJS.ReadableStream) => {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      lines.push(...parts);
      for (const listener of listeners) listener();
    });
  };
  onText(child.stdout as NodeJS.ReadableStream);
  onText(child.stderr as NodeJS.ReadableStream);
  const exited = once(child, 'exit').then(([code, signal]) => {
    for (const listener of listeners) listener();
    return { code: code as number | null, signal: signal as NodeJS.Signals | null };
  });
  let done = false;
  void exited.then(() => {
    done = true;
  });

  const waitFor: ServeProcess['waitFor'] = (match, { from = 0, timeoutMs = 15_000 } = {}) => {
    const test = typeof match === 'function' ? match : (line: string) => match.test(line);
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = lines.slice(from).find(test);
        if (found !== undefined) finish(() => resolve(found));
        else if (done) finish(() => reject(new Error(`hotworker exited before printing ${match}:\n${lines.join('\n')}`)));
      };
      const timer = setTimeout(
        () => finish(() => reject(new Error(`no line matching ${match} within ${timeoutMs} ms:\n${lines.join('\n')}`))),
        timeoutMs,
      );
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        listeners.delete(check);
        settle();
      };
      listeners.add(check);
      check();
    });
  };

  const stop: ServeProcess['stop'] = async (signal = 'SIGTERM') => {
    if (!done) child.kill(signal);
    return exited;
  };

  let url: string;
  try {
    const line = await waitFor(/listening on http:\/\/\S+/);
    url = (/(http:\/\/[^\s"]+)/.exec(line) as RegExpExecArray)[1] as string;
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return { child, url, lines, waitFor, exited, stop };
}

/** Runs `hotworker …args` to completion. */
export async function runCli(
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; bin?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(options.bin ?? process.execPath, options.bin ? [...args] : [cliPath, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

/** Calls `POST <url>/call/<fn>` with `body` JSON-encoded (no body when undefined); returns status, version header and parsed answer. */
export function call(url: string, fn: string, body?: unknown): Promise<Answer> {
  return callRaw(url, fn, body === undefined ? undefined : JSON.stringify(body));
}

/** Calls `POST <url>/call/<fn>` with `text` as the body, as is. */
export async function callRaw(url: string, fn: string, text?: string): Promise<Answer> {
  const response = await fetch(`${url}/call/${fn}`, { method: 'POST', ...(text === undefined ? {} : { body: text }) });
  const answer = await response.text();
  return {
    status: response.status,
    version: response.headers.get('hotworker-version'),
    body: JSON.parse(answer),
    headers: response.headers,
  };
}

export interface Answer {
  readonly status: number;
  /** The `hotworker-version` header. */
  readonly version: string | null;
  readonly body: unknown;
  readonly headers: Headers;
}

/** Polls `probe` until it returns a value other than undefined, or rejects after `timeoutMs`. For file-watch waits. */
export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** One HTTP request with exactly the headers given (fetch would set `Host` and others itself). */
export function rawRequest(
  url: string,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: hostname, port, method: options.method ?? 'GET', path: options.path, headers: options.headers, setHost: false },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(options.body);
  });
}

/**
 * Starts `HotServer` in this process on the `serve-functions` fixture (one thread, silent log,
 * cache in the workspace), closed after the test. For checks that need the server object itself.
 */
export async function serveFunctionsInProcess(ws: Workspace, options: Partial<ServeOptions> = {}): Promise<HotServer> {
  const server = await HotServer.start({
    entry: ws.copy('serve-functions.ts', 'functions.ts'),
    port: 0,
    threads: 1,
    cacheDir: ws.cacheDir,
    logger: silentLogger,
    ...options,
  });
  ws.defer(() => server.close());
  return server;
}

/** A raw HTTP/1.1 connection, for what `fetch` cannot send: pipelining, a body in parts, the absolute form. */
export interface RawConnection {
  readonly socket: Socket;
  /** Everything received so far. */
  received(): string;
  /** Resolves once the server has ended the connection. */
  readonly ended: Promise<unknown>;
  /** The head (and, when given, the start) of a `POST /call/<fn>` whose body is `body`. */
  request(fn: string, body: string, sendNow?: string): string;
}

/** Opens a raw connection to `url`, destroyed at the end of the test. */
export function rawConnection(ws: Workspace, url: string): RawConnection {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  ws.defer(() => socket.destroy());
  let received = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => {
    received += chunk;
  });
  return {
    socket,
    received: () => received,
    ended: once(socket, 'end'),
    request: (fn, body, sendNow = body) =>
      `POST /call/${fn} HTTP/1.1\r\nhost: ${hostname}:${port}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${sendNow}`,
  };
}

/**
 * Starts `POST /call/<fn>` with `args` on a socket of its own, and never reads the answer;
 * `abandon()` closes that socket, as a client that gives up would.
 */
export function startCall(url: string, fn: string, args: unknown[]): { abandon(): void } {
  const { hostname, port } = new URL(url);
  const pending = httpRequest({ host: hostname, port, method: 'POST', path: `/call/${fn}`, agent: false });
  pending.on('error', () => {});
  pending.end(JSON.stringify(args));
  return { abandon: () => pending.destroy() };
}
