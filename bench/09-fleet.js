/**
 * 9. A fleet on BullMQ and Redis (skipped when redis-server is missing).
 *
 * - Throughput: the same jobs (`fib(20)`) through 1, 2 and 3 `hotworker worker` nodes against
 *   1, 2 and 3 BullMQ nodes with BullMQ's own sandboxed processor in worker threads
 *   (`useWorkerThreads`), each node 2 threads / concurrency 2: jobs/s and the ratio, per node count.
 * - Shipping a new version to 3 busy nodes: `rollout()` against restarting every node in turn
 *   (SIGTERM, wait for its exit, start the new one), the way a BullMQ fleet ships code: jobs
 *   failed and stalled, and the time until every node runs the new version.
 *
 * Contenders alternate in order from run to run; figures are medians over the runs.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue, QueueEvents } from 'bullmq';
import { fleetStatus, rollout } from '../dist/src/fleet/index.js';
import { int, num, ratio, spread } from './lib/format.js';
import { Progress } from './lib/progress.js';
import { defineScenario } from './lib/scenario.js';
import { pairedRatio, summarize } from './lib/stats.js';

const cli = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
const work = fileURLToPath(new URL('./fixtures/work.js', import.meta.url));
const bullmqNode = fileURLToPath(new URL('./fixtures/bullmq-node.js', import.meta.url));
const REDIS = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((path) => existsSync(path));
const THREADS = 2;
const JOB = { name: 'fib', data: [20] };

export default defineScenario(import.meta.url, {
  id: '09',
  title: 'A fleet on BullMQ and Redis: jobs/s through 1–3 nodes vs BullMQ sandboxed processors; rollout vs restarting every node',
  async run({ quick, scratch, defer }) {
    if (REDIS === undefined) return { skipped: 'redis-server is not installed (apt-get install -y redis-server)' };
    const params = {
      runs: quick ? 1 : 3,
      jobs: quick ? 200 : 3000,
      nodes: quick ? [1, 3] : [1, 2, 3],
      threads: THREADS,
      job: 'fib(20)',
      loadDuringShip: 16,
    };
    const redis = await startRedis(scratch());
    defer(() => redis.stop());
    const kinds = [hotworkerKind, bullmqKind];
    const progress = new Progress('fleet', params.runs * (params.nodes.length * kinds.length + kinds.length));
    const rates = new Map(); // `${kind}/${n}` → jobs/s per run
    const ships = new Map(); // kind → [{ failed, stalled, ms }]
    let queueNo = 0;
    for (let run = 0; run < params.runs; run++) {
      const order = run % 2 === 0 ? kinds : [...kinds].reverse();
      for (const n of params.nodes) {
        for (const kind of order) {
          const dir = scratch();
          const rate = await throughput(kind, n, `t${queueNo++}`, redis.url, dir, params.jobs);
          rates.set(`${kind.name}/${n}`, [...(rates.get(`${kind.name}/${n}`) ?? []), rate]);
          progress.tick();
        }
      }
      for (const kind of order) {
        const shipped = await ship(kind, `s${queueNo++}`, redis.url, scratch(), params.loadDuringShip);
        ships.set(kind.name, [...(ships.get(kind.name) ?? []), shipped]);
        progress.tick();
      }
    }
    progress.done();
    const rate = (kind, n) => rates.get(`${kind}/${n}`);
    const shipped = (kind, key) => ships.get(kind).map((s) => s[key]);
    const failures = [...ships.entries()].flatMap(([kind, list]) =>
      kind === 'hotworker' && list.some((s) => s.failed > 0)
        ? [`hotworker rollout: ${list.map((s) => s.failed).join(', ')} failed jobs`]
        : [],
    );
    return {
      params,
      failures,
      tables: [
        {
          title: `${int(params.jobs)} jobs of ${params.job}, all added at once, per node count: jobs/s, median (min–max) of ${params.runs} runs`,
          columns: ['nodes', 'hotworker worker', 'BullMQ sandboxed (useWorkerThreads)', 'hotworker ÷ BullMQ'],
          rows: params.nodes.map((n) => [
            String(n),
            spread(summarize(rate('hotworker', n)), 'jobs/s'),
            spread(summarize(rate('bullmq', n)), 'jobs/s'),
            ratio(pairedRatio(rate('hotworker', n), rate('bullmq', n))),
          ]),
        },
        {
          title: `Shipping a new version to 3 nodes under load (${params.loadDuringShip} jobs in flight), median (min–max) of ${params.runs} runs`,
          columns: ['how', 'jobs failed', 'jobs stalled', 'until every node runs it', 'time ÷ rollout'],
          rows: kinds.map((kind) => [
            kind.shipLabel,
            spread(summarize(shipped(kind.name, 'failed'))),
            spread(summarize(shipped(kind.name, 'stalled'))),
            spread(summarize(shipped(kind.name, 'ms')), 'ms'),
            ratio(pairedRatio(shipped(kind.name, 'ms'), shipped('hotworker', 'ms'))),
          ]),
          notes: [
            'A restart with SIGTERM lets each BullMQ node finish its jobs; the time is what it takes to stop and start every node in turn.',
          ],
        },
      ],
      targets: [
        {
          name: 'fleet rollout: no failed jobs',
          figure: num(Math.max(...shipped('hotworker', 'failed'))),
          goal: '0',
          met: shipped('hotworker', 'failed').every((f) => f === 0),
          value: Math.max(...shipped('hotworker', 'failed')),
        },
      ],
      data: { rates: Object.fromEntries(rates), ships: Object.fromEntries(ships) },
    };
  },
});

const hotworkerKind = {
  name: 'hotworker',
  shipLabel: 'hotworker rollout (canary 1 node, 50 jobs)',
  start(dir, url, queue) {
    return startProcess(
      [cli, 'worker', join(dir, 'work.js'), '--redis', url, '--queue', queue, '--threads', String(THREADS)],
      dir,
      /^node \S+ runs/,
    );
  },
  prepare(dir) {
    copyFileSync(work, join(dir, 'work.js'));
  },
  async ship({ dir, url, queue }) {
    writeFileSync(join(dir, 'work.js'), `export * from ${JSON.stringify(work)};\nexport const shipped = ${Date.now()};\n`);
    await rollout({ module: join(dir, 'work.js'), redis: url, queue, canaryJobs: 50, cacheDir: join(dir, '.hotworker') });
    const { nodes } = await fleetStatus({ redis: url, queue });
    if (new Set(nodes.map((node) => node.hash)).size !== 1) throw new Error('not every node runs the new version');
  },
};

const bullmqKind = {
  name: 'bullmq',
  shipLabel: 'BullMQ: restart every node in turn (SIGTERM, start)',
  start(dir, url, queue) {
    return startProcess([bullmqNode, url, queue, String(THREADS)], dir, /^ready$/);
  },
  prepare() {},
  async ship({ dir, url, queue, nodes }) {
    for (let i = 0; i < nodes.length; i++) {
      await nodes[i].stop('SIGTERM');
      nodes[i] = await this.start(dir, url, queue);
    }
  },
};

/** Jobs/s for `jobs` jobs added at once through `n` nodes of `kind`. */
async function throughput(kind, n, queueName, url, dir, jobs) {
  kind.prepare(dir);
  const nodes = await startNodes(kind, n, dir, url, queueName);
  const connection = connectionOf(url);
  const queue = new Queue(queueName, { connection });
  const events = new QueueEvents(queueName, { connection, lastEventId: '0-0' }); // a fresh queue: from its first event
  await events.waitUntilReady();
  try {
    let completed = 0;
    const done = new Promise((resolve) =>
      events.on('completed', () => {
        completed++;
        if (completed === jobs) resolve();
      }),
    );
    const started = performance.now();
    for (let i = 0; i < jobs; i += 500) {
      const batch = Math.min(500, jobs - i);
      await queue.addBulk(Array.from({ length: batch }, () => ({ ...JOB, opts: { removeOnComplete: true } })));
    }
    await done;
    return jobs / ((performance.now() - started) / 1000);
  } finally {
    await events.close();
    await queue.close();
    await Promise.all(nodes.map((node) => node.stop('SIGTERM')));
  }
}

/** Ships a new version to 3 busy nodes; counts failed and stalled jobs while it does. */
async function ship(kind, queueName, url, dir, inFlight) {
  kind.prepare(dir);
  const nodes = await startNodes(kind, 3, dir, url, queueName);
  const connection = connectionOf(url);
  const queue = new Queue(queueName, { connection });
  const events = new QueueEvents(queueName, { connection, lastEventId: '0-0' }); // a fresh queue: from its first event
  await events.waitUntilReady();
  let failed = 0;
  let stalled = 0;
  events.on('failed', () => failed++);
  events.on('stalled', () => stalled++);
  // Keep `inFlight` jobs queued or running: one more added for each one that completes.
  let running = true;
  const refill = () => running && void queue.add(JOB.name, JOB.data, { removeOnComplete: true });
  events.on('completed', refill);
  events.on('failed', refill);
  try {
    await queue.addBulk(Array.from({ length: inFlight }, () => ({ ...JOB, opts: { removeOnComplete: true } })));
    await once(events, 'completed');
    const started = performance.now();
    await kind.ship({ dir, url, queue: queueName, nodes });
    const ms = performance.now() - started;
    running = false;
    return { failed, stalled, ms };
  } finally {
    running = false;
    await events.close();
    await queue.close();
    await Promise.all(nodes.map((node) => node.stop('SIGTERM')));
  }
}

/**
 * Starts `n` nodes of `kind` side by side (no figure counts their start); if one fails, stops
 * the others before rethrowing.
 */
async function startNodes(kind, n, dir, url, queueName) {
  const started = await Promise.allSettled(Array.from({ length: n }, () => kind.start(dir, url, queueName)));
  const failed = started.find((outcome) => outcome.status === 'rejected');
  if (failed === undefined) return started.map((outcome) => outcome.value);
  await Promise.all(started.filter((outcome) => outcome.status === 'fulfilled').map((outcome) => outcome.value.stop('SIGTERM')));
  throw failed.reason;
}

function connectionOf(url) {
  const { hostname, port } = new URL(url);
  return { host: hostname, port: Number(port), maxRetriesPerRequest: null };
}

function startProcess(args, cwd, readyLine) {
  const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = once(child, 'exit');
  const stop = async (signal) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return new Promise((resolve, reject) => {
    const onData = (chunk) => {
      output += chunk;
      if (output.split('\n').some((line) => readyLine.test(line))) {
        child.stdout.off('data', onData);
        resolve({ child, stop });
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      output += chunk;
    });
    exited.then(([code]) => reject(new Error(`${args.join(' ')} exited with ${code}:\n${output}`)));
  });
}

async function startRedis(dir) {
  const port = await new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
  const child = spawn(REDIS, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let output = '';
  await new Promise((resolve) =>
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      output += chunk;
      if (/Ready to accept connections/.test(output)) resolve();
    }),
  );
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGKILL');
      await once(child, 'exit');
    },
  };
}
