/**
 * A throwaway redis-server per test file: a free port on loopback, persistence off, its own
 * directory; stopped (and removed) after. `restart()` keeps the data across the restart (a
 * save on shutdown into its directory) so a test can check that nothing is lost.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { service } from './services.js';

/** redis-server, or why it is missing (see services.ts). */
export const redisService = service({
  name: 'redis-server',
  program: 'redis-server',
  paths: ['/usr/bin/redis-server', '/usr/local/bin/redis-server'],
  install: 'apt-get install -y redis-server',
});

export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:PORT`. */
  readonly url: string;
  /** Saves, stops and starts the server again on the same port with the same data. */
  restart(): Promise<void>;
  /** Stops the server and removes its directory. Safe to call twice. */
  stop(): Promise<void>;
}

/** Starts redis-server on a free loopback port and resolves once it accepts connections. */
export async function startRedis(): Promise<RedisServer> {
  const program = redisService.path;
  if (program === undefined) throw new Error(redisService.message);
  const dir = mkdtempSync(join(tmpdir(), 'hotworker-redis-'));
  let { port, child } = await launchOnFreePort(program, dir);
  let stopped = false;
  const stopChild = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    await exited;
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async restart() {
      // SIGTERM with `--save ''` would drop the data; SHUTDOWN SAVE writes dump.rdb first,
      // which the next start loads from the same directory.
      const exited = once(child, 'exit');
      await redisCommand(port, ['SHUTDOWN', 'SAVE']);
      await exited;
      child = await launch(program, port, dir);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopChild('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A port found free can be taken before redis-server binds it (test files run two at a time, and
 * every outgoing connection takes a port from the same range): try another port then.
 */
async function launchOnFreePort(program: string, dir: string): Promise<{ port: number; child: ChildProcess }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return { port, child: await launch(program, port, dir) };
    } catch (error) {
      if (attempt === 3 || !/address already in use/i.test(String(error))) throw error;
    }
  }
}

async function launch(program: string, port: number, dir: string): Promise<ChildProcess> {
  const child = spawn(
    program,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--dbfilename', 'dump.rdb'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start within 10 s:\n${output}`)), 10_000);
    const onData = () => {
      if (/Ready to accept connections/i.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    // 'close', not 'exit': the output, which says why, has been read in full by then.
    child.once('close', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}:\n${output}`));
    });
  });
  return child;
}

/** Sends one command in RESP over a plain socket (no client library needed) and waits for the close or reply. */
async function redisCommand(port: number, args: readonly string[]): Promise<void> {
  const { connect } = await import('node:net');
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write(`*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`);
  socket.resume();
  await once(socket, 'close');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
