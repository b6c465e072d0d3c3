/**
 * 11. Serve's request path: what `hotworker serve` adds per request over a hand-written server.
 *
 * The same trivial function over HTTP, 32 keep-alive connections, 2 threads, driven by
 * autocannon from this process:
 * - `hotworker serve bench/fixtures/work.js --threads 2`, every feature on as shipped: metrics,
 *   the version header, the Host check, the body limit and call timeout, standby workers, the
 *   default log;
 * - a hand-written `node:http` server that parses the JSON body and runs the function in a piscina
 *   pool with piscina's defaults and the same thread count (bench/fixtures/http-service.js).
 * In a full run, two more hand-written servers split the difference between the two: the same
 * server on a piscina pool with the options hotworker passes, and on hotworker's public API as
 * an embedding server would call it (`module.run()` with a new AbortSignal per call, a 30 s
 * call timeout). `hotworker serve` itself gives each call a cheaper signal of its own (a
 * CallSignal, src/call-signal.ts), so it can answer more than that last row.
 *
 * Both services run side by side for the whole scenario; autocannon drives one at a time, in
 * short blocks that alternate (the order reversed every other round), so that another tenant's
 * load falls on both alike. Per run: requests/s of each (requests answered over the blocks'
 * time), the services' main-thread CPU per request (Linux, from /proc/<pid>/task/<pid>/schedstat:
 * the thread whose work this scenario is about), and their ratios within the run.
 */
import { fork, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { int, ratio, spread } from './lib/format.js';
import { rotate } from './lib/interleave.js';
import { waitForLine } from './lib/processes.js';
import { Progress } from './lib/progress.js';
import { defineScenario } from './lib/scenario.js';
import { pairedRatio, summarize } from './lib/stats.js';

const TARGET = 0.95;
const THREADS = 2;
const CONNECTIONS = 32;
const PATH = '/call/noop';
const BODY = '[1]';
// HOTWORKER_CLI points at another build of the CLI (e.g. a branch built elsewhere) to try it.
const cli = process.env.HOTWORKER_CLI ?? fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
const work = fileURLToPath(new URL('./fixtures/work.js', import.meta.url));
const handWritten = fileURLToPath(new URL('./fixtures/http-service.js', import.meta.url));

export default defineScenario(import.meta.url, {
  id: '11',
  title: `Serve's request path: hotworker serve vs node:http + piscina, ${CONNECTIONS} connections, ${THREADS} threads`,
  async run({ quick, scratch, defer }) {
    const params = {
      runs: quick ? 1 : 5,
      rounds: 2,
      blockS: quick ? 0.5 : 1.5,
      warmupS: quick ? 0.25 : 1,
      connections: CONNECTIONS,
      threads: THREADS,
      path: PATH,
      body: BODY,
    };
    const services = [
      { name: 'serve', label: `hotworker serve --threads ${THREADS}`, ...(await startServe(scratch())) },
      { name: 'hand', label: `node:http + piscina (defaults, ${THREADS} threads)`, ...(await startHandWritten('piscina', scratch())) },
    ];
    if (!quick) {
      services.push(
        {
          name: 'hand-hotworker-options',
          label: "node:http + piscina with hotworker's other options (atomics: async)",
          ...(await startHandWritten('piscina-hotworker-options', scratch())),
        },
        {
          name: 'hand-hotworker',
          label: 'node:http + hotworker library (module.run() with a signal, 30 s call timeout)',
          ...(await startHandWritten('hotworker', scratch())),
        },
      );
    }
    for (const service of services) defer(() => stop(service.child));
    const failures = [];
    const header = await checkFeatures(services[0].url);
    if (header !== undefined) failures.push(header);

    for (const service of services) await drive(service, params.warmupS);
    const progress = new Progress('serve request path', params.runs * params.rounds * services.length);
    const perRun = new Map(services.map((s) => [s.name, { rps: [], cpuUs: [], answered: 0, failed: 0 }]));
    for (let run = 0; run < params.runs; run++) {
      const totals = new Map(services.map((s) => [s.name, { requests: 0, ms: 0, cpuNs: 0 }]));
      for (let round = 0; round < params.rounds; round++) {
        const k = run * params.rounds + round;
        for (const service of rotate(k % 2 === 1 ? [...services].reverse() : services, k)) {
          const block = await drive(service, params.blockS);
          const total = totals.get(service.name);
          total.requests += block.requests;
          total.ms += block.ms;
          total.cpuNs += block.cpuNs;
          perRun.get(service.name).answered += block.requests;
          perRun.get(service.name).failed += block.failed;
          progress.tick();
        }
      }
      for (const [name, total] of totals) {
        perRun.get(name).rps.push((total.requests * 1000) / total.ms);
        perRun.get(name).cpuUs.push(total.cpuNs / 1000 / total.requests);
      }
    }
    progress.done();
    for (const service of services) {
      const { failed, answered } = perRun.get(service.name);
      if (failed > 0) failures.push(`${service.label}: ${failed} requests failed (errors, timeouts or non-2xx) of ${answered + failed}`);
    }
    const counted = await metricsCalls(services[0].url);
    const served = perRun.get('serve').answered;
    if (!(counted >= served))
      failures.push(`hotworker serve's /metrics counts ${counted} calls, fewer than the ${served} requests answered`);

    const serve = perRun.get('serve');
    const hand = perRun.get('hand');
    const rpsRatio = pairedRatio(serve.rps, hand.rps);
    const cpuRatio = Number.isNaN(serve.cpuUs[0]) ? undefined : pairedRatio(serve.cpuUs, hand.cpuUs);
    const rows = services.map((s) => {
      const figures = perRun.get(s.name);
      return [
        s.label,
        spread(summarize(figures.rps), '', int),
        s.name === 'hand' ? '1×' : ratio(pairedRatio(figures.rps, hand.rps)),
        spread(summarize(figures.cpuUs), 'µs'),
        s.name === 'hand' || cpuRatio === undefined ? '1×' : ratio(pairedRatio(figures.cpuUs, hand.cpuUs)),
      ];
    });
    return {
      params,
      tables: [
        {
          title: `median (min–max) over ${params.runs} run${params.runs > 1 ? 's' : ''} of ${params.rounds} alternating ${params.blockS} s blocks each; POST ${PATH} ${BODY}, ${CONNECTIONS} keep-alive connections`,
          columns: ['service', 'requests/s', '× hand-written', 'main-thread CPU per request', '× hand-written'],
          rows,
          notes: [
            'hotworker serve runs with every feature on: /metrics, the hotworker-version header, Host check, body limit, call timeout, standby workers, default log',
            ...(quick
              ? []
              : [
                  "the two rows below the baseline split the gap: the piscina options, then hotworker's public API with an AbortSignal per call (serve's own calls carry a cheaper signal, so serve can answer more than that row)",
                ]),
            `hotworker serve: ${process.env.HOTWORKER_CLI ? `HOTWORKER_CLI=${process.env.HOTWORKER_CLI}` : 'dist/src/cli/main.js of this build'}; autocannon runs in the bench process, on the same machine`,
          ],
        },
      ],
      targets: [
        {
          name: 'hotworker serve requests/s vs hand-written node:http + piscina',
          figure: ratio(rpsRatio),
          goal: `≥ ${TARGET}×`,
          met: rpsRatio.median >= TARGET,
          value: rpsRatio.median,
        },
      ],
      failures,
      charts: [],
      data: {
        rps: Object.fromEntries([...perRun].map(([name, figures]) => [name, figures.rps])),
        mainThreadCpuUsPerRequest: Object.fromEntries([...perRun].map(([name, figures]) => [name, figures.cpuUs])),
      },
    };
  },
});

async function startServe(dir) {
  const child = spawn(
    process.execPath,
    [cli, 'serve', work, '--port', '0', '--threads', String(THREADS), '--cache-dir', join(dir, '.hotworker')],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const url = await waitForLine(child, /listening on (http:\/\/\S+)/);
  return { child, url };
}

async function startHandWritten(backend, dir) {
  const child = fork(handWritten, [backend, String(THREADS), dir], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  const [message] = await once(child, 'message');
  child.stdout.resume();
  child.stderr.resume();
  return { child, url: message.url };
}

/** Drives one service for `seconds`; returns requests answered (2xx), failed, the wall time and the service's main-thread CPU. */
async function drive(service, seconds) {
  const cpuBefore = mainThreadCpuNs(service.child.pid);
  const started = performance.now();
  const result = await autocannon({
    url: `${service.url}${PATH}`,
    connections: CONNECTIONS,
    duration: seconds,
    // autocannon looks at its stop flag once per sample interval (default 1 s), so a shorter run
    // would last a whole second: quick's blocks sample as often as they last (full runs: 1 s).
    sampleInt: Math.min(1_000, seconds * 1_000),
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: BODY,
  });
  const ms = performance.now() - started;
  const cpuNs = mainThreadCpuNs(service.child.pid) - cpuBefore;
  return {
    requests: result['2xx'],
    failed: result.errors + result.timeouts + result.non2xx,
    ms,
    cpuNs,
  };
}

/** An error message when the serve answer lacks what "every feature on" means, else undefined. */
async function checkFeatures(url) {
  const { status, headers } = await post(`${url}${PATH}`, BODY);
  if (status !== 200) return `hotworker serve answered ${status} to POST ${PATH}`;
  if (typeof headers['hotworker-version'] !== 'string') return 'hotworker serve answered without the hotworker-version header';
  return undefined;
}

/** `hotworker_calls_total` of the noop function, summed over versions, from `/metrics`. */
async function metricsCalls(url) {
  const { body } = await get(`${url}/metrics`);
  let total = 0;
  for (const line of body.split('\n')) {
    const match = /^hotworker_calls_total\{fn="noop"[^}]*\} (\d+)/.exec(line);
    if (match) total += Number(match[1]);
  }
  return total;
}

/** Nanoseconds of CPU the main thread of process `pid` has used (Linux); NaN elsewhere. */
function mainThreadCpuNs(pid) {
  try {
    return Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'latin1').split(' ', 1)[0]);
  } catch {
    return Number.NaN;
  }
}

function post(url, body) {
  return send(url, 'POST', body);
}

function get(url) {
  return send(url, 'GET', undefined);
}

function send(url, method, body) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { 'content-type': 'application/json', connection: 'close' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Ends a service this scenario started: SIGTERM, then SIGKILL after 5 s. */
async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
