// A rollout's canary is judged on the jobs the canary runs during that rollout: a version
// rolled out again after a rollback does not pass on the jobs it ran the first time.
import { fleetStatus } from 'hotworker/fleet';
import { describe, expect, it } from 'vitest';
import { FAST_STALLED, fleet } from './support/fleet.js';
import { redisService } from './support/redis.js';
import { runCli } from './support/serve.js';

const NODE = ['--threads', '1', '--concurrency', '2', ...FAST_STALLED];

describe.skipIf(!redisService.available)('fleet: a canary’s job counts', () => {
  it('start from zero each time a node moves to a version', async () => {
    const f = await fleet();
    await f.startNode(NODE);
    const status = () => fleetStatus({ redis: f.redis.url, queue: f.queue });
    const old = (await status()).current as string;
    const render = f.producer();
    f.writeVersion(2);
    let feeding = true;
    const jobs = (async () => {
      while (feeding) await render.api.tile(1, 2);
    })();
    const first = await runCli(['rollout', f.module, ...f.flags, '--canary-jobs', '5', '--timeout', '60s'], { cwd: f.ws.dir });
    feeding = false;
    await jobs;
    expect(first.code, first.stderr).toBe(0);
    const back = await runCli(['rollback', ...f.flags], { cwd: f.ws.dir });
    expect(back.code, back.stderr).toBe(0);
    await expect.poll(async () => (await status()).nodes.map((node) => node.hash), { timeout: 15_000 }).toEqual([old]);

    // The same version again, with no jobs coming: its canary has run none of them this time.
    const again = await runCli(['rollout', f.module, ...f.flags, '--canary-jobs', '5', '--timeout', '3s'], { cwd: f.ws.dir });
    expect(again.code, again.stdout).toBe(1);
    expect(again.stderr).toMatch(/timed out with the canary short of its jobs/);
    expect((await status()).nodes.map((node) => [node.hash, node.versionDone])).toEqual([[old, 0]]);
  }, 120_000);
});
