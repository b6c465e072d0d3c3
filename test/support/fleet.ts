/**
 * Fleet tests: a redis-server per test (see redis.ts), `hotworker worker` node processes,
 * the fleet's module in a workspace, and a BullMQ producer; all stopped after the test.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { Queue, QueueEvents } from 'bullmq';
import { type RemoteModule, type RemoteOptions, remote } from 'hotworker/fleet';
import { Redis } from 'ioredis';
import { type RedisServer, startRedis } from './redis.js';
import { cliPath } from './serve.js';
import { type Workspace, workspace } from './workspace.js';

/** BullMQ settings that let a dead node's job run again within about a second, not 30 s. */
export const FAST_STALLED = ['--lock-duration', '1000', '--stalled-interval', '500', '--heartbeat', '300'];

/** A `hotworker` process whose output is read line by line as it comes. */
export interface CliProcess {
  readonly child: ChildProcess;
  /** Every stdout and stderr line so far. */
  readonly lines: string[];
  /** Resolves with the first line (from index `from` on) that matches, or rejects after `timeoutMs`. */
  waitFor(match: RegExp, options?: { from?: number; timeoutMs?: number }): Promise<string>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface NodeProcess extends CliProcess {
  /** The node's id, from its first line. */
  readonly id: string;
}

export interface Fleet {
  readonly ws: Workspace;
  readonly redis: RedisServer;
  readonly queue: string;
  /** The module's path in the workspace (`fleet-job.ts`). */
  readonly module: string;
  /** Rewrites the module with `VERSION = v` (and `extra` source appended). */
  writeVersion(v: number, extra?: string): void;
  /** Starts `hotworker worker <module> --redis --queue …args` and waits for its first line. */
  startNode(args?: readonly string[]): Promise<NodeProcess>;
  /** Starts `hotworker rollout <module> --redis --queue …args` (killed after the test if still running). */
  startRollout(args?: readonly string[]): CliProcess;
  /** A typed producer (closed after the test), with `options` besides the queue and connection. */
  producer(options?: Omit<RemoteOptions, 'queue' | 'connection'>): RemoteModule<typeof import('../fixtures/fleet-job.ts')>;
  /** A raw BullMQ queue and its events (closed after the test). */
  bullmq(): { queue: Queue; events: QueueEvents };
  /** A plain ioredis client (closed after the test). */
  client(): Redis;
  /** `['--redis', url, '--queue', name]`. */
  readonly flags: readonly string[];
}

/**
 * A redis-server, a workspace holding the fleet's module (`fixture`, by default `fleet-job.ts`;
 * `writeVersion` works on that one only), and cleanup of everything started.
 */
export async function fleet(fixture = 'fleet-job.ts'): Promise<Fleet> {
  const ws = workspace();
  const redis = await startRedis();
  ws.defer(() => redis.stop());
  const queue = 'jobs';
  const module = ws.copy(fixture);
  const source = ws.fixture('fleet-job.ts');
  const flags = ['--redis', redis.url, '--queue', queue];
  return {
    ws,
    redis,
    queue,
    module,
    flags,
    writeVersion(v, extra = '') {
      ws.write('fleet-job.ts', `${source.replace('export const VERSION = 1;', `export const VERSION = ${v};`)}\n${extra}`);
    },
    async startNode(args = []) {
      const node = spawnCli(['worker', module, ...flags, ...args], ws.dir);
      ws.defer(() => node.stop('SIGKILL'));
      const line = await node.waitFor(/^node \S+ runs [0-9a-f]{16}/);
      return { ...node, id: (/^node (\S+)/.exec(line) as RegExpExecArray)[1] as string };
    },
    startRollout(args = []) {
      const run = spawnCli(['rollout', module, ...flags, ...args], ws.dir);
      ws.defer(() => run.stop('SIGKILL'));
      return run;
    },
    producer(options) {
      const client = remote<typeof import('../fixtures/fleet-job.ts')>({ ...options, queue, connection: redis.url });
      ws.defer(() => client.close());
      return client;
    },
    bullmq() {
      const connection = { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null };
      const q = new Queue(queue, { connection });
      // From the stream's start: BullMQ's default (`$`, once its reader is up) can miss an event
      // that comes first, and a test waiting for it would hang. Each test has its own Redis.
      const events = new QueueEvents(queue, { connection, lastEventId: '0-0' });
      ws.defer(async () => {
        await events.close();
        await q.close();
      });
      return { queue: q, events };
    },
    client() {
      const client = new Redis(redis.url, { maxRetriesPerRequest: null });
      ws.defer(() => client.quit().catch(() => client.disconnect()));
      return client;
    },
  };
}

function spawnCli(args: readonly string[], cwd: string): CliProcess {
  const child = spawn(process.execPath, [cliPath, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const listeners = new Set<() => void>();
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      lines.push(...parts);
      for (const listener of listeners) listener();
    });
  }
  let done = false;
  // 'close', not 'exit': every line the process wrote has been read by then.
  const exited = once(child, 'close').then(([code, signal]) => {
    done = true;
    for (const listener of listeners) listener();
    return { code: code as number | null, signal: signal as NodeJS.Signals | null };
  });
  const waitFor: CliProcess['waitFor'] = (match, { from = 0, timeoutMs = 15_000 } = {}) =>
    new Promise((resolve, reject) => {
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        listeners.delete(check);
        settle();
      };
      const check = () => {
        const found = lines.slice(from).find((line) => match.test(line));
        if (found !== undefined) finish(() => resolve(found));
        else if (done) finish(() => reject(new Error(`node exited before printing ${match}:\n${lines.join('\n')}`)));
      };
      const timer = setTimeout(
        () => finish(() => reject(new Error(`no line matching ${match} within ${timeoutMs} ms:\n${lines.join('\n')}`))),
        timeoutMs,
      );
      listeners.add(check);
      check();
    });
  const stop: CliProcess['stop'] = async (signal = 'SIGTERM') => {
    if (!done) child.kill(signal);
    return exited;
  };
  return { child, lines, waitFor, exited, stop };
}
