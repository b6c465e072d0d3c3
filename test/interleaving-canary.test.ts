/**
 * Randomized interleavings with canary upgrades: calls (each answered by the version it was
 * routed to, whichever side of a canary), canary upgrades to good and failing versions, plain
 * upgrades, rollbacks, crashes and a final close, against the promises of test/interleaving.
 * Seeded: set HOTWORKER_SEED to replay a failure.
 */
import { fc, it } from '@fast-check/vitest';
import type { HotModule, VersionInfo } from 'hotworker';
import { describe, expect } from 'vitest';
import { canCountThreads, osThreadCount, threadsAfterSettling } from './support/threads.js';
import { workspace } from './support/workspace.js';

type Interleave = typeof import('./fixtures/interleave.ts');

type Step =
  | { kind: 'call'; ms: number }
  | { kind: 'canary'; failing: boolean }
  | { kind: 'upgrade' }
  | { kind: 'rollback' }
  | { kind: 'crash' }
  | { kind: 'settle' };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('call' as const), ms: fc.constantFrom(0, 0, 2) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('canary' as const), failing: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'upgrade' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'rollback' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'crash' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'settle' as const }) },
);

const seed = Number(process.env.HOTWORKER_SEED ?? 20261127);

describe('randomized interleavings with canary upgrades', () => {
  it.prop([fc.array(step, { minLength: 5, maxLength: 20 })], { numRuns: 12, seed, endOnFailure: true })(
    'every call is answered by the version it was routed to; a canary ends fully shifted or rolled back; close leaves no worker',
    async (steps) => {
      const ws = workspace();
      const source = ws.fixture('interleave.ts');
      const threadsBefore = canCountThreads ? osThreadCount() : 0;
      const mod: HotModule<Interleave> = await ws.hot<Interleave>(ws.write('v0.ts', source), { threads: 1, loadTimeout: 5_000 });
      const tagOf = (version: VersionInfo) => /v(\d+)\.ts$/.exec(version.entry)?.[1];
      /** Versions whose slow calls fail with a host error (ERR_HOT_CLONE). */
      const failing = new Set<string>();
      const pending: Promise<void>[] = [];
      const violations: string[] = [];
      const check = (ok: boolean, message: string) => {
        if (!ok) violations.push(message);
      };
      mod.on('crash', () => {});
      mod.on('canary', ({ from, to, passed, step: at, steps: all }) => {
        const alive = mod.stats.alive.map((generation) => generation.version.id);
        check(alive.includes(from.id) && alive.includes(to.id), `canary step ${at} of v${to.id}: both versions must be alive`);
        if (!passed || at === all.length) check(mod.version === from, 'the version must not change before the canary ends');
      });

      let versions = 0;
      const write = (text: string) => {
        versions++;
        return ws.write(`v${versions}.ts`, text.replace("TAG = 't0'", `TAG = 't${versions}'`));
      };
      for (const current of steps) {
        switch (current.kind) {
          case 'call': {
            const call = mod.api.tagged(current.ms);
            const expected = tagOf(mod.routedVersion) as string;
            pending.push(
              call.then(
                (tag) => check(tag === `t${expected}`, `call routed to v${expected} answered ${tag}`),
                (error: unknown) =>
                  check(
                    failing.has(expected) && (error as { code?: string }).code === 'ERR_HOT_CLONE',
                    `call routed to v${expected} failed: ${error}`,
                  ),
              ),
            );
            break;
          }
          case 'crash':
            pending.push(
              mod.api.crash().then(
                () => check(false, 'crash() resolved'),
                (error: unknown) => check((error as { code?: string }).code === 'ERR_HOT_WORKER_EXIT', `crash() rejected with ${error}`),
              ),
            );
            break;
          case 'canary':
          case 'upgrade': {
            const bad = current.kind === 'canary' && current.failing;
            const entry = write(bad ? source.replace('return TAG;', 'return ms > 0 ? ((() => TAG) as unknown as string) : TAG;') : source);
            if (bad) failing.add(String(versions));
            const tag = String(versions);
            const options =
              current.kind === 'canary'
                ? {
                    entry,
                    canary: {
                      steps: [50, 100],
                      minCalls: 3,
                      maxLatencyRatio: Number.POSITIVE_INFINITY,
                      maxStepMs: 150,
                      onIdle: 'pass' as const,
                    },
                  }
                : { entry };
            pending.push(
              mod.upgrade(options).then(
                (version) => check(tagOf(version) === tag, `upgrade to v${tag} resolved as ${tagOf(version)}`),
                (error: unknown) => {
                  const code = (error as { code?: string }).code;
                  // A canary may fail on a crash() routed to it, or on the failing version's errors.
                  const allowed = current.kind === 'canary' ? ['ERR_HOT_CANARY', 'ERR_HOT_CLOSED'] : ['ERR_HOT_CLOSED'];
                  check(allowed.includes(String(code)), `upgrade to v${tag} rejected with ${error}`);
                  if (code === 'ERR_HOT_CANARY') check(tagOf(mod.version) !== tag, `v${tag} serves after its canary failed`);
                },
              ),
            );
            break;
          }
          case 'rollback':
            pending.push(
              mod.rollback().then(
                () => undefined,
                (error: unknown) =>
                  check(
                    ['ERR_HOT_NO_PREVIOUS', 'ERR_HOT_CLOSED'].includes(String((error as { code?: string }).code)),
                    `rollback rejected with ${error}`,
                  ),
              ),
            );
            break;
          case 'settle':
            await Promise.all(pending.splice(0));
            check(mod.stats.alive.length === 1, `${mod.stats.alive.length} generations alive when idle`);
            check(mod.rollout === undefined, 'a rollout still running when idle');
            break;
        }
      }
      await mod.close();
      const settledAll = await Promise.race([
        Promise.all(pending).then(() => true),
        new Promise<boolean>((resolve) => setTimeout(resolve, 20_000, false).unref()),
      ]);
      check(settledAll, 'some call or upgrade never settled');
      check(mod.stats.alive.length === 0, 'generations alive after close');
      if (canCountThreads) {
        const left = (await threadsAfterSettling(threadsBefore)) - threadsBefore;
        check(left <= 0, `${left} threads left after close`);
      }
      expect(violations).toEqual([]);
    },
  );
});
