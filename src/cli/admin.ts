/**
 * `hotworker upgrade`, `rollback` and `status`: clients of a running server's admin API.
 */

import type { CanaryStepJson } from '../serve/rollout.js';
import type { ServeStatus, VersionJson } from '../serve/status.js';
import { duration, plural } from '../serve/words.js';
import { CommandError, integer, milliseconds, type Parsed, parse, text, UsageError } from './args.js';
import type { Command } from './command.js';

/** The upgrade stream's media type (src/serve/upgrade-stream.ts; not imported, to keep the CLI light). */
const NDJSON = 'application/x-ndjson';

const connection = `      --url <url>             the server (default: $HOTWORKER_URL or http://127.0.0.1:3000)
      --admin-token <token>   sent as "Authorization: Bearer <token>" (default: $HOTWORKER_ADMIN_TOKEN)
      --timeout <ms>          give up waiting for the answer after this long (default: 120000)
      --json                  print the server's JSON answer
  -h, --help                  show this help`;

const connectionOptions = {
  url: { type: 'string' },
  'admin-token': { type: 'string' },
  timeout: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** The last line of the upgrade stream (src/serve/upgrade-stream.ts). */
type UpgradeOutcome =
  | ({ event: 'done' } & TransitionJson)
  | { event: 'failed'; error: { code?: string; message: string; where?: string }; serving: VersionJson | null };

/** One line of the stream, as a person reads it. */
function describeProgress(event: Record<string, unknown>): string {
  const version = typeof event.version === 'number' ? `v${event.version}` : 'the new version';
  switch (event.event === 'phase' ? event.phase : event.event) {
    case 'waiting':
      return `waiting for the ${String(event.behind)} running on the server to finish…`;
    case 'build':
      return 'build   bundling the module…';
    case 'load':
      return `load    starting ${version} on ${plural(Number(event.threads), 'thread')}, proving it loads and answers…`;
    case 'verify':
      return `verify  running verify() against ${version}…`;
    case 'shift':
      return `shift   new calls go to ${version} (${duration(Number(event.ms))} after the start)`;
    case 'drain':
      return `drain   the old version finishes its ${plural(Number(event.inFlight), 'call')} in flight…`;
    default:
      return '';
  }
}

interface TransitionJson {
  changed: boolean;
  previous: VersionJson;
  version: VersionJson;
}

export const upgrade: Command = {
  name: 'upgrade',
  summary: 'upgrade a running server now (POST /_hot/upgrade)',
  help: `Usage: hotworker upgrade [options]

Asks a running "hotworker serve" to rebuild its module and, if it changed, shift to the new
version. Waits until the old version has drained; on a terminal, prints what it waits behind
(another upgrade) and each phase as it passes: build, load, verify, shift, drain. Exits 1 when
the upgrade fails (the old version keeps serving, and the message says which it is).

Options:
      --restart               start a fresh version even if the source is unchanged
      --allow-breaking        upgrade even if the new version drops exports
      --canary <steps>        shift step by step, e.g. 5,25,50,100 (percent of new calls), each
                              step judged on errors and p99 latency; prints each step as it ends
      --canary-min-calls <n>  calls of the new version each step needs (default: 200)
      --canary-max-latency-ratio <x>
                              highest new p99 / old p99 per step; 0 for no latency check (default: 2)
${connection}`,
  async run(argv) {
    const parsed = parse(
      argv,
      {
        ...connectionOptions,
        restart: { type: 'boolean' },
        'allow-breaking': { type: 'boolean' },
        canary: { type: 'string' },
        'canary-min-calls': { type: 'string' },
        'canary-max-latency-ratio': { type: 'string' },
      },
      0,
    );
    if (parsed.values.help === true) return printHelp(this.help);
    const steps = canarySteps(text(parsed.values, 'canary'));
    const minCalls = integer(parsed.values, 'canary-min-calls', 1);
    const ratio = latencyRatio(text(parsed.values, 'canary-max-latency-ratio'));
    if (steps === undefined && (minCalls !== undefined || ratio !== undefined)) {
      throw new UsageError('--canary-min-calls and --canary-max-latency-ratio need --canary <steps>');
    }
    const body = {
      ...(parsed.values.restart === true ? { restart: true } : {}),
      ...(parsed.values['allow-breaking'] === true ? { allowBreaking: true } : {}),
      ...(steps === undefined
        ? {}
        : {
            canary: { steps, ...(minCalls === undefined ? {} : { minCalls }), ...(ratio === undefined ? {} : { maxLatencyRatio: ratio }) },
          }),
    };
    const json = parsed.values.json === true;
    // Each phase as it passes, for a person watching; pipes and --json get the outcome only.
    const live = process.stdout.isTTY === true && !json;
    // A canary prints its steps as they end (from the status document); the stream tells the rest.
    const printer = steps === undefined || json ? undefined : await canaryPrinter(parsed);
    let last: UpgradeOutcome;
    try {
      last = (await request(parsed, 'POST', '/_hot/upgrade', body, {
        onEvent: (event) => {
          if (live) process.stdout.write(`${describeProgress(event)}\n`);
        },
        refused: 'nothing changed: the version serving keeps serving',
      })) as UpgradeOutcome;
    } finally {
      await printer?.stop();
    }
    if (last.event === 'failed') {
      if (json) process.stdout.write(`${JSON.stringify(last, null, 2)}\n`);
      const serving = last.serving === null ? 'the server is closing' : `${name(last.serving)} keeps serving`;
      const { code, where, message } = last.error;
      const at = where !== undefined && !message.includes(where) ? ` at ${where}` : '';
      throw new CommandError(`upgrade failed, ${serving}: ${code ?? 'error'}${at}: ${message}`);
    }
    const answer = { changed: last.changed, previous: last.previous, version: last.version };
    if (json) process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
    else {
      process.stdout.write(
        answer.changed
          ? `upgraded ${name(answer.previous)} → ${name(answer.version)}\n`
          : `unchanged: ${name(answer.version)} keeps serving\n`,
      );
    }
    return 0;
  },
};

export const rollback: Command = {
  name: 'rollback',
  summary: 'roll a running server back to its previous version (POST /_hot/rollback)',
  help: `Usage: hotworker rollback [options]

Asks a running "hotworker serve" to shift back to the version before the current one.
Exits 1 when there is none.

Options:
${connection}`,
  async run(argv) {
    const parsed = parse(argv, connectionOptions, 0);
    if (parsed.values.help === true) return printHelp(this.help);
    const answer = (await request(parsed, 'POST', '/_hot/rollback', {})) as TransitionJson;
    if (parsed.values.json !== true) process.stdout.write(`rolled back ${name(answer.previous)} → ${name(answer.version)}\n`);
    return 0;
  },
};

export const status: Command = {
  name: 'status',
  summary: "show a running server's versions, threads and call figures (GET /_hot/status)",
  help: `Usage: hotworker status [options]

Shows what a running "hotworker serve" is serving: the current version and those kept for
rollback, threads, calls in flight, and calls, errors and latency per version.

Options:
${connection}`,
  async run(argv) {
    const parsed = parse(argv, connectionOptions, 0);
    if (parsed.values.help === true) return printHelp(this.help);
    const s = (await request(parsed, 'GET', '/_hot/status')) as ServeStatus;
    if (parsed.values.json === true) return 0;
    const lines = [
      `module    ${s.module} (pid ${s.pid}, up ${s.uptimeSeconds} s${s.watch ? ', watching' : ''})`,
      `version   ${name(s.version)}, ${plural(s.threads, 'thread')}, ${plural(s.inFlight, 'call')} in flight`,
      `standby   ${plural(s.standbyThreads, 'thread')} ready for the next upgrade`,
      `crashes   ${plural(s.crashes, 'worker')} replaced after dying, ${plural(s.resentCalls, 'call re-send')} to a live worker`,
      `history   ${s.history.map(name).join(', ')}`,
      `upgrades  ${s.upgrades.done} done, ${s.upgrades.unchanged} unchanged, ${s.upgrades.failed} failed; rollbacks ${s.rollbacks.done} done, ${s.rollbacks.failed} failed`,
      ...s.alive
        .filter((a) => a.version !== s.version.label)
        .map((a) => `draining  ${a.version}: ${plural(a.inFlight, 'call')}, ${plural(a.threads, 'thread')}`),
      ...s.versions.map((v) => {
        const latency = v.latencyMs
          ? `, p50 ${duration(v.latencyMs.p50)}, p90 ${duration(v.latencyMs.p90)}, p99 ${duration(v.latencyMs.p99)}`
          : '';
        return `calls     ${v.version}: ${plural(v.calls, 'call')}, ${plural(v.errors, 'error')}${latency}`;
      }),
      ...(s.lastFailure ? [`failed    ${s.lastFailure.at} (${s.lastFailure.trigger}): ${s.lastFailure.message}`] : []),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  },
};

/** `--canary-max-latency-ratio`: a number >= 1, or 0 for none (JSON has no Infinity, so none is sent as a huge ratio). */
function latencyRatio(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ratio = Number(value);
  if (value.trim() === '' || !(ratio === 0 || ratio >= 1)) {
    throw new UsageError(`--canary-max-latency-ratio must be a number >= 1, or 0 for no latency check, got '${value}'`);
  }
  return ratio === 0 ? Number.MAX_VALUE : ratio;
}

/** `5,25,50,100` → [5, 25, 50, 100]; the server checks the rest (ascending, ending at 100). */
function canarySteps(value: string | undefined): number[] | undefined {
  if (value === undefined) return undefined;
  const steps = value.split(',').map((step) => Number(step.trim()));
  if (steps.length === 0 || steps.some((step) => !Number.isInteger(step))) {
    throw new UsageError(`--canary takes comma-separated integer percentages such as 5,25,50,100, got '${value}'`);
  }
  return steps;
}

/**
 * Prints each canary step as it ends, from the server's status, while the upgrade request
 * waits. `stop()` prints the steps that ended since the last look.
 */
async function canaryPrinter(parsed: Parsed): Promise<{ stop(): Promise<void> }> {
  const quiet: Parsed = { ...parsed, values: { ...parsed.values, json: false } };
  const fetchRollout = async () =>
    ((await request(quiet, 'GET', '/_hot/status').catch(() => undefined)) as ServeStatus | undefined)?.rollout ?? null;
  // A canary that ended before this upgrade started is not ours.
  const earlier = await fetchRollout();
  const stale = earlier?.kind === 'canary' && !earlier.running ? earlier.to : undefined;
  let printed = 0;
  const look = async () => {
    const rollout = await fetchRollout();
    if (rollout?.kind !== 'canary' || rollout.completed === undefined || rollout.to === stale) return;
    for (const step of rollout.completed.slice(printed)) process.stdout.write(`${stepLine(step, rollout.steps?.length ?? 0)}\n`);
    printed = rollout.completed.length;
  };
  let looking = Promise.resolve();
  const timer = setInterval(() => {
    looking = looking.then(look);
  }, 200);
  return {
    async stop() {
      clearInterval(timer);
      await looking;
      await look();
    },
  };
}

function stepLine(step: CanaryStepJson, of: number): string {
  const f = step.figures;
  const p99 = f.p99Ms === undefined ? '' : `, p99 ${f.p99Ms.toFixed(1)} ms`;
  const ratio = f.latencyRatio === undefined ? '' : ` (${f.latencyRatio.toFixed(2)}× old)`;
  return `step ${step.step}/${of} ${step.share}% ${step.passed ? 'passed' : `failed (${step.reason})`}: ${f.errors} errors in ${f.calls} calls${p99}${ratio}`;
}

function printHelp(help: string): number {
  process.stdout.write(`${help}\n`);
  return 0;
}

function name(version: VersionJson): string {
  return `v${version.id} (${version.hash.slice(0, 8)})`;
}

/** How {@link request} reads a streamed answer, and what it adds when the server refuses. */
interface RequestOptions {
  /** Asks for the NDJSON stream and hears each line; the request resolves with the last. */
  onEvent?: (event: Record<string, unknown>) => void;
  /** Appended to the server's message when it refuses (a non-2xx answer). */
  refused?: string;
}

/**
 * Sends one admin request; prints the JSON answer with --json (not for a stream). Refusals and
 * unreachable servers throw one line, without HTTP status codes.
 */
async function request(
  parsed: Parsed,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  options: RequestOptions = {},
): Promise<unknown> {
  const base = text(parsed.values, 'url') ?? (process.env.HOTWORKER_URL || 'http://127.0.0.1:3000');
  let url: URL;
  try {
    url = new URL(path, base);
  } catch {
    throw new UsageError(`--url must be a URL such as http://127.0.0.1:3000, got '${base}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--url must be http: or https:, got '${base}'`);
  const token = text(parsed.values, 'admin-token') ?? (process.env.HOTWORKER_ADMIN_TOKEN || undefined);
  const timeout = milliseconds(parsed.values, 'timeout') ?? 120_000;
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        accept: options.onEvent === undefined ? 'application/json' : NDJSON,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeout),
    });
  } catch (error) {
    throw new CommandError(`cannot reach ${base}: ${reason(error, timeout)}`);
  }
  if (options.onEvent !== undefined && response.ok && (response.headers.get('content-type') ?? '').includes(NDJSON)) {
    try {
      return await readStream(response, options.onEvent);
    } catch (error) {
      throw new CommandError(`lost ${base} during the request: ${reason(error, timeout)}`);
    }
  }
  let answer: string;
  try {
    answer = await response.text();
  } catch (error) {
    throw new CommandError(`lost ${base} during the request: ${reason(error, timeout)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(answer);
  } catch {
    throw new CommandError(`${base} answered with something other than JSON; is it a hotworker server?`);
  }
  if (!response.ok) {
    const message = (json as { error?: { message?: string } })?.error?.message ?? answer;
    throw new CommandError(options.refused === undefined ? message : `${message} (${options.refused})`);
  }
  if (parsed.values.json === true && options.onEvent === undefined) process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  return json;
}

/** Reads NDJSON lines as they come; resolves with the last. */
async function readStream(response: Response, onEvent: (event: Record<string, unknown>) => void): Promise<unknown> {
  const decoder = new TextDecoder();
  let pending = '';
  let last: unknown;
  const take = (text: string) => {
    if (text.trim() === '') return;
    const event = JSON.parse(text) as Record<string, unknown>;
    last = event;
    onEvent(event);
  };
  for await (const chunk of response.body ?? []) {
    pending += decoder.decode(chunk as Uint8Array, { stream: true });
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) take(line);
  }
  take(pending);
  if (last === undefined) throw new Error('the answer ended before the outcome');
  return last;
}

function reason(error: unknown, timeout: number): string {
  if ((error as Error)?.name === 'TimeoutError') return `no answer within ${duration(timeout)}`;
  const code = ((error as Error)?.cause as { code?: string })?.code;
  if (code === 'ECONNREFUSED') return 'connection refused (is "hotworker serve" running there?)';
  return code ?? (error as Error)?.message ?? String(error);
}
