/**
 * The fleet commands: `hotworker worker` (a node), `hotworker rollout`, `hotworker fleet
 * status|rollback`, and `hotworker rollback --redis …`. BullMQ and ioredis are imported
 * only when one of them runs.
 */
import { CommandError, integer, milliseconds, type Parsed, parse, text, UsageError } from './args.js';
import type { Command } from './command.js';

const redisOptions = {
  redis: { type: 'string' },
  queue: { type: 'string' },
} as const;

const redisHelp = `      --redis <url>           the fleet's Redis, redis://host:port[/db] (default: $HOTWORKER_REDIS)
      --queue <name>          the BullMQ queue of the fleet (default: $HOTWORKER_QUEUE)`;

/** `--redis` and `--queue`, from the flags or the environment. */
function fleetOf(values: Parsed['values']): { redis: string; queue: string } {
  const redis = text(values, 'redis') ?? process.env.HOTWORKER_REDIS;
  const queue = text(values, 'queue') ?? process.env.HOTWORKER_QUEUE;
  if (redis === undefined || redis === '') throw new UsageError('missing --redis <url> (or $HOTWORKER_REDIS)');
  if (!/^rediss?:\/\//.test(redis)) throw new UsageError(`--redis must be a redis:// URL, got '${redis}'`);
  if (queue === undefined || queue === '') throw new UsageError('missing --queue <name> (or $HOTWORKER_QUEUE)');
  return { redis, queue };
}

/** A duration: `60s`, `1500ms`, `2m`, or plain milliseconds. */
function duration(values: Parsed['values'], name: string): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const match = typeof raw === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(raw) : null;
  const ms = match === null ? Number.NaN : Number(match[1]) * ({ ms: 1, s: 1000, m: 60_000 }[match[2] ?? 'ms'] ?? 1);
  if (!(ms >= 1)) throw new UsageError(`--${name} must be a duration such as 60s, 1500ms or 2m, got '${raw}'`);
  return Math.round(ms);
}

function rate(values: Parsed['values'], name: string): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !(value >= 0 && value <= 1)) {
    throw new UsageError(`--${name} must be a number from 0 to 1, got '${raw}'`);
  }
  return value;
}

function printHelp(help: string): number {
  process.stdout.write(`${help}\n`);
  return 0;
}

/** A fleet failure the user can act on becomes one line (exit 1); the rollout's table follows it. */
async function oneLine<T>(work: () => Promise<T>): Promise<T> {
  const { HotError } = await import('../index.js');
  try {
    return await work();
  } catch (error) {
    if (HotError.is(error)) throw new CommandError(`${error.code}: ${error.message}`);
    throw error;
  }
}

export const worker: Command = {
  name: 'worker',
  summary: 'run a fleet node: BullMQ jobs call the module; upgraded by rollouts',
  help: `Usage: hotworker worker <module> --redis <url> --queue <name> [options]

Runs a fleet node: a BullMQ worker on <queue> whose jobs call <module>'s exported functions
(job name = function, job.data = its arguments array, return value = the job's result), in
worker threads. The node runs the fleet's current version from Redis, byte for byte (the
first node of a fleet builds <module> and makes it the fleet's first version), reports itself
on a heartbeat, and upgrades in place when "hotworker rollout" or "rollback" moves the fleet.

Options:
${redisHelp}
  -t, --threads <n>           worker threads (default: half the cores, at least 1)
  -c, --concurrency <n>       jobs run at once (default: --threads)
      --drain-timeout <ms>    on SIGTERM, time jobs in flight have to finish (default: 30000)
      --heartbeat <ms>        time between heartbeats; a node is gone after 3 missed (default: 1000)
      --lock-duration <ms>    BullMQ job lock; a dead node's job is retried after it (default: 30000)
      --stalled-interval <ms> how often BullMQ looks for stalled jobs (default: 30000)
      --id <id>               the node's id (default: <host>-<pid>-<random>)
      --cache-dir <dir>       where bundles are written (default: .hotworker)
  -h, --help                  show this help

Jobs: an unknown function or arguments that cannot be cloned fail without retries
(UnrecoverableError); other errors fail with "<ERR_HOT_CODE or Error name>: <message>" and
follow the job's attempts. Delivery is at least once: a job of a node that dies runs again.

Signals: SIGTERM and SIGINT stop taking jobs, finish those in flight, exit 0.

Example:
  hotworker worker render.ts --redis redis://127.0.0.1:6379 --queue render`,
  async run(argv) {
    const { values, positionals } = parse(
      argv,
      {
        ...redisOptions,
        threads: { type: 'string', short: 't' },
        concurrency: { type: 'string', short: 'c' },
        'drain-timeout': { type: 'string' },
        heartbeat: { type: 'string' },
        'lock-duration': { type: 'string' },
        'stalled-interval': { type: 'string' },
        id: { type: 'string' },
        'cache-dir': { type: 'string' },
      },
      1,
    );
    if (values.help === true) return printHelp(this.help);
    const module = positionals[0];
    if (module === undefined) throw new UsageError('missing <module>: hotworker worker <module> --redis <url> --queue <name>');
    const options = {
      module,
      ...fleetOf(values),
      threads: integer(values, 'threads', 1),
      concurrency: integer(values, 'concurrency', 1),
      drainTimeout: milliseconds(values, 'drain-timeout'),
      heartbeatInterval: milliseconds(values, 'heartbeat'),
      lockDuration: milliseconds(values, 'lock-duration'),
      stalledInterval: milliseconds(values, 'stalled-interval'),
      id: text(values, 'id'),
      cacheDir: text(values, 'cache-dir'),
    };
    const defined = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as typeof options;
    // Signals are taken from the start, so one that arrives while the node starts is acted on once it runs.
    let stopping = false;
    let stop: () => void = () => {
      stopping = true;
    };
    process.on('SIGTERM', () => stop());
    process.on('SIGINT', () => stop());
    const { startNode } = await import('../fleet/index.js');
    const node = await oneLine(() => startNode(defined));
    const say = (line: string) => process.stdout.write(`${line}\n`);
    say(`node ${node.id} runs ${node.hash} on queue ${defined.queue}`);
    node.on('version', ({ hash }) => say(`node ${node.id} now runs ${hash}`));
    node.on('upgrade-failed', ({ hash, error }) => say(`node ${node.id} could not run ${hash}: ${(error as Error)?.message ?? error}`));
    let lastWarning = '';
    node.on('warning', (error) => {
      // A Redis outage repeats the same error on every retry: say it once.
      if (error.message !== lastWarning) process.stderr.write(`node ${node.id}: ${error.message}\n`);
      lastWarning = error.message;
    });
    return new Promise<number>((resolve) => {
      stop = () => {
        if (stopping) return;
        stopping = true;
        say(`node ${node.id} draining`);
        void node.close().then(() => {
          say(`node ${node.id} stopped`);
          resolve(0);
        });
      };
      if (stopping) {
        stopping = false;
        stop();
      }
    });
  },
};

export const rolloutCommand: Command = {
  name: 'rollout',
  summary: 'build a module once and move a fleet to it in waves, rolling back on failure',
  help: `Usage: hotworker rollout <module> --redis <url> --queue <name> [options]

Builds <module> once, stores the bundle in Redis under its content hash, and moves the fleet
in waves: the canary nodes first; once they have done --canary-jobs jobs within
--max-error-rate, every other node. Prints each node's progress and exits 0 when every live
node runs the new version. When a node cannot load the new version, the canary fails too many
jobs, or --timeout passes, every node is moved back to the previous version and the command
exits 1 with a per-node table. A rollout started while another runs is refused.

Options:
${redisHelp}
      --canary-nodes <n>      nodes that move first (default: 1)
      --canary-jobs <n>       jobs the canary must finish on the new version (default: 200)
      --max-error-rate <r>    highest share of failed canary jobs, 0 to 1 (default: 0.01)
      --timeout <duration>    the whole rollout, e.g. 60s, 90000ms, 2m (default: 60s)
      --allow-breaking        roll out even if the new version drops exports
      --cache-dir <dir>       where the bundle is built (default: .hotworker)
  -h, --help                  show this help`,
  async run(argv) {
    const { values, positionals } = parse(
      argv,
      {
        ...redisOptions,
        'canary-nodes': { type: 'string' },
        'canary-jobs': { type: 'string' },
        'max-error-rate': { type: 'string' },
        timeout: { type: 'string' },
        'allow-breaking': { type: 'boolean' },
        'cache-dir': { type: 'string' },
      },
      1,
    );
    if (values.help === true) return printHelp(this.help);
    const module = positionals[0];
    if (module === undefined) throw new UsageError('missing <module>: hotworker rollout <module> --redis <url> --queue <name>');
    const options = {
      module,
      ...fleetOf(values),
      canaryNodes: integer(values, 'canary-nodes', 0),
      canaryJobs: integer(values, 'canary-jobs', 0),
      maxErrorRate: rate(values, 'max-error-rate'),
      timeout: duration(values, 'timeout'),
      allowBreaking: values['allow-breaking'] === true ? true : undefined,
      cacheDir: text(values, 'cache-dir'),
    };
    const defined = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as typeof options;
    const { rollout, nodeTable, RolloutError } = await import('../fleet/index.js');
    const seen = new Map<string, string>();
    try {
      const result = await rollout({
        ...defined,
        onProgress({ phase, nodes }) {
          for (const node of nodes) {
            const line = `${node.hash} ${node.state}${node.error === '' ? '' : ` (${node.error})`}`;
            if (seen.get(node.id) !== line) process.stdout.write(`${phase.padEnd(8)} ${node.id}  ${line}\n`);
            seen.set(node.id, line);
          }
        },
      });
      if (!result.changed) {
        process.stdout.write(`unchanged: the fleet already runs ${result.hash}\n`);
      } else {
        process.stdout.write(
          `rolled out ${result.hash} to ${result.nodes.length} node${result.nodes.length === 1 ? '' : 's'} (previous ${result.previous ?? 'none'})${
            result.pruned.length > 0 ? `; pruned ${result.pruned.join(', ')}` : ''
          }\n${nodeTable(result.nodes)}\n`,
        );
      }
      return 0;
    } catch (error) {
      if (error instanceof RolloutError) {
        process.stderr.write(`hotworker rollout: ${error.message}\n`);
        return 1;
      }
      return oneLine(() => Promise.reject(error));
    }
  },
};

const fleetRollbackHelp = `Usage: hotworker rollback --redis <url> --queue <name> [--timeout <duration>]
       hotworker fleet rollback --redis <url> --queue <name> [--timeout <duration>]

Moves every node of the fleet back to its previous version (a second rollback rolls forward
again) and waits until every live node runs it (--timeout, default 60s).`;

async function fleetRollback(argv: readonly string[]): Promise<number> {
  const { values } = parse(argv, { ...redisOptions, timeout: { type: 'string' } }, 0);
  if (values.help === true) return printHelp(fleetRollbackHelp);
  const { rollback, nodeTable } = await import('../fleet/index.js');
  const timeout = duration(values, 'timeout');
  const result = await oneLine(() => rollback({ ...fleetOf(values), ...(timeout === undefined ? {} : { timeout }) }));
  process.stdout.write(`rolled back ${result.previous} → ${result.hash}\n${nodeTable(result.nodes)}\n`);
  return 0;
}

async function fleetStatusCommand(argv: readonly string[]): Promise<number> {
  const { values } = parse(argv, { ...redisOptions, json: { type: 'boolean' } }, 0);
  if (values.help === true) return printHelp(fleet.help);
  const { fleetStatus, nodeTable } = await import('../fleet/index.js');
  const status = await oneLine(() => fleetStatus(fleetOf(values)));
  if (values.json === true) {
    process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
    return 0;
  }
  process.stdout.write(
    `current   ${status.current ?? 'none'}\nprevious  ${status.previous ?? 'none'}\nrollout   ${status.rollout === undefined ? 'none running' : `running (${status.rollout})`}\nbundles   ${status.bundles.length}\n${nodeTable(status.nodes)}\n`,
  );
  return 0;
}

export const fleet: Command = {
  name: 'fleet',
  summary: 'a fleet on Redis: "fleet status" (one line per node), "fleet rollback"',
  help: `Usage: hotworker fleet status --redis <url> --queue <name> [--json]
       hotworker fleet rollback --redis <url> --queue <name> [--timeout <duration>]

status: the fleet's current and previous versions, whether a rollout runs, and one line per
live node (id, host, pid, version, state, jobs done and failed, last error).
rollback: moves every node back to the previous version.

Options:
${redisHelp}
  -h, --help                  show this help`,
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub === undefined || sub === '-h' || sub === '--help') return printHelp(this.help);
    if (sub === 'status') return fleetStatusCommand(rest);
    if (sub === 'rollback') return fleetRollback(rest);
    throw new UsageError(`unknown fleet command '${sub}'; fleet commands: status, rollback`);
  },
};

/** `hotworker rollback` rolls a fleet back when given `--redis`, and a served module back otherwise. */
export function withFleetRollback(served: Command): Command {
  return {
    ...served,
    help: `${served.help}\n\n${fleetRollbackHelp}`,
    run(argv) {
      if (argv.includes('--help') || argv.includes('-h')) return Promise.resolve(printHelp(this.help));
      const forFleet = argv.some((arg) => arg === '--redis' || arg.startsWith('--redis='));
      return forFleet ? fleetRollback(argv) : served.run(argv);
    },
  };
}
