/**
 * Fleet tests: a redis-server per test (see redis.ts), `hotworker worker` node processes,
 * the fleet's module in a workspace, and a BullMQ producer; all stopped after the test.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { Queue, QueueEvents } from 'bullmq';
import { type RemoteModule, type RemoteOptions, remote } from 'hotworker/fleet';
import { Redis } from 'ioredis';
import { onTestFailed } from 'vitest';
import { type RedisServer, startRedis } from './redis.js';
import { cliPath } from './serve.js';
import { type Workspace, workspace } from './workspace.js';

/**
 * BullMQ settings that let a dead node's job run again within a few seconds, not 30 s. The lock
 * still leaves a live node 1.5 s of slack to renew it (at half the lock's duration): a node kept
 * off the CPU that long by a busy machine would see its job taken as stalled.
 */
export const FAST_STALLED = ['--lock-duration', '3000', '--stalled-interval', '500', '--heartbeat', '300'];

/** How long a stopped process's pipes may stay open after it exited (see `spawnCli`). */
const CLOSE_GRACE_MS = 5_000;

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
  // A fleet test fails in other processes: say what each of them printed.
  const started: { name: string; process: CliProcess }[] = [];
  onTestFailed(() => {
    for (const { name, process } of started) console.error(`--- ${name} (pid ${process.child.pid}):\n${process.lines.join('\n')}`);
  });
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
      started.push({ name: `hotworker worker ${args.join(' ')}`, process: node });
      ws.defer(() => node.stop('SIGKILL'));
      const line = await node.waitFor(/^node \S+ runs [0-9a-f]{16}/);
      return { ...node, id: (/^node (\S+)/.exec(line) as RegExpExecArray)[1] as string };
    },
    startRollout(args = []) {
      const run = spawnCli(['rollout', module, ...flags, ...args], ws.dir);
      started.push({ name: `hotworker rollout ${args.join(' ')}`, process: run });
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
  // 'close', not 'exit': every line the process wrote has been read by then. A process the
  // node started (esbuild's service) shares its stderr and could hold the pipe open after the
  // node died: past CLOSE_GRACE_MS after the exit, the pipes are let go.
  // Settled either way: an 'error' on the child (it could not be spawned) must not go unheard.
  const closed = once(child, 'close').then(
    () => true,
    () => true,
  );
  const exited = once(child, 'exit').then(async ([code, signal]) => {
    let grace: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      grace = setTimeout(resolve, CLOSE_GRACE_MS);
    });
    if (!(await Promise.race([closed, late.then(() => false)]))) {
      child.stdout?.destroy();
      child.stderr?.destroy();
      lines.push(`(the pipes were still open ${CLOSE_GRACE_MS} ms after the exit)`);
    }
    clearTimeout(grace);
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
