// The fleet commands' help and one-line usage errors (no Redis needed).

import { describe, expect, it } from 'vitest';
import { runCli } from './support/serve.js';

describe('fleet commands', () => {
  it('list themselves and print help', async () => {
    const top = await runCli(['--help']);
    for (const command of ['worker', 'rollout', 'fleet']) expect(top.stdout).toContain(`  ${command}`);
    const worker = await runCli(['worker', '--help']);
    expect(worker.code).toBe(0);
    for (const flag of ['--redis', '--queue', '--threads', '--concurrency', '--drain-timeout', '--lock-duration', '--stalled-interval']) {
      expect(worker.stdout).toContain(flag);
    }
    const rollout = await runCli(['rollout', '--help']);
    for (const flag of ['--canary-nodes', '--canary-jobs', '--max-error-rate', '--timeout']) expect(rollout.stdout).toContain(flag);
    expect((await runCli(['fleet', '--help'])).stdout).toMatch(/^Usage: hotworker fleet status/);
    expect((await runCli(['rollback', '--help'])).stdout).toContain('hotworker rollback --redis <url> --queue <name>');
  });

  it('tell a mistake in one line, exit 2', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['worker', 'm.ts', '--queue', 'q'], /missing --redis <url>/],
      [['worker', 'm.ts', '--redis', 'redis://127.0.0.1:1'], /missing --queue <name>/],
      [['worker', 'm.ts', '--redis', 'http://x', '--queue', 'q'], /--redis must be a redis:\/\/ URL/],
      [['rollout', 'm.ts', '--redis', 'redis://h:1', '--queue', 'q', '--timeout', 'soon'], /--timeout must be a duration such as 60s/],
      [
        ['rollout', 'm.ts', '--redis', 'redis://h:1', '--queue', 'q', '--max-error-rate', '2'],
        /--max-error-rate must be a number from 0 to 1/,
      ],
      [['fleet', 'restart'], /unknown fleet command 'restart'/],
    ];
    for (const [args, message] of cases) {
      const run = await runCli(args, { env: { HOTWORKER_REDIS: '', HOTWORKER_QUEUE: '' } });
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr.trimEnd().split('\n'), args.join(' ')).toHaveLength(1);
      expect(run.stderr).toMatch(message);
    }
  });
});
