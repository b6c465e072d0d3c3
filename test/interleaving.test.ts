/**
 * Randomized interleavings of calls (some slow), upgrades to good and bad versions,
 * rollbacks, aborts, worker crashes and a final close, checked against the invariants the
 * host promises. Steps do not wait for each other: after a step the test goes on at once,
 * after one turn of the event loop, or once the version has changed, so calls start while
 * upgrades and rollbacks are building, loading, shifting and draining. Bounded and seeded: one
 * run with a fixed seed (the same every CI run), one with a fresh seed named in its title; set
 * HOTWORKER_SEED to replay either (fast-check prints the seed and the shrunk counterexample).
 *
 * Nothing here depends on how fast the machine is: a step goes on without waiting, so calls
 * start while an upgrade or rollback is still running however long it takes (the fixed seed
 * counts them, below), and every limit (load, settling, threads ending, the test's own) only
 * bounds a hang, set far above what the slowest run under load needs.
 */
import { fc } from '@fast-check/vitest';
import type { HotModule, VersionInfo } from 'hotworker';
import { describe, expect, it } from 'vitest';
import { canCountThreads, osThreadCount, threadsAfterSettling } from './support/threads.js';
import { workspace } from './support/workspace.js';

type Interleave = typeof import('./fixtures/interleave.ts');

/** What the test does before the next step: nothing, one turn of the event loop, or wait until the serving version changes. */
type Gap = 'none' | 'tick' | 'shift';

type Step = (
  | { kind: 'call'; ms: number }
  | { kind: 'upgrade'; outcome: 'good' | 'syntax' | 'throws' | 'verify' }
  | { kind: 'rollback' }
  | { kind: 'abort'; ms: number; afterTicks: number }
  | { kind: 'crash' }
  | { kind: 'settle' }
) & { gap: Gap };

const action = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('call' as const), ms: fc.constantFrom(0, 0, 2, 10) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('upgrade' as const),
      outcome: fc.constantFrom('good' as const, 'good' as const, 'syntax' as const, 'throws' as const, 'verify' as const),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'rollback' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('abort' as const), ms: fc.constantFrom(0, 10), afterTicks: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'crash' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'settle' as const }) },
);

const step: fc.Arbitrary<Step> = fc
  .tuple(action, fc.constantFrom<Gap>('none', 'none', 'tick', 'shift'))
  .map(([chosen, gap]) => ({ ...chosen, gap }) as Step);

const replay = process.env.HOTWORKER_SEED === undefined ? undefined : Number(process.env.HOTWORKER_SEED);
// Chosen so that its runs start calls during rollbacks that shift (checked below): with
// 20261125 every rollback either had no previous version or was still queued at close().
const fixedSeed = replay ?? 20261126;
const freshSeed = replay ?? Math.floor(Math.random() * 2 ** 31);

/** What each bad version's upgrade must reject with. */
const expectedCode = { syntax: 'ERR_HOT_BUILD', throws: 'ERR_HOT_LOAD', verify: 'ERR_HOT_VERIFY' } as const;

const invariants = 'every call settles on the version it started on; old generations end; close leaves no worker';

/**
 * A bound on one property (all its runs), never reached by a passing run: 15 runs took up to
 * 75 s with 8 busy loops beside them on 2 cores (10 s on a quiet machine).
 */
const PROPERTY_LIMIT_MS = 300_000;

/**
 * Calls (plain and aborted) started after an `upgrade()` or `rollback()` was called and before
 * it resolved, for those that resolved (a new version served): each call is counted once per
 * upgrade or rollback it overlapped.
 */
interface Overlap {
  duringUpgrade: number;
  duringRollback: number;
}

const runs = fc.array(step, { minLength: 5, maxLength: 25 });

describe('randomized interleavings', () => {
  it(
    `${invariants} (fixed seed ${fixedSeed})`,
    async () => {
      const overlap: Overlap = { duringUpgrade: 0, duringRollback: 0 };
      await fc.assert(
        fc.asyncProperty(runs, (steps) => scenario(steps, overlap)),
        { numRuns: 15, seed: fixedSeed, endOnFailure: true },
      );
      // What issue 15 asks of this test, true on any machine for the fixed seed: calls start
      // while upgrades and rollbacks run (steps go on without waiting for them).
      if (replay !== undefined) return;
      expect(overlap.duringUpgrade).toBeGreaterThan(0);
      expect(overlap.duringRollback).toBeGreaterThan(0);
    },
    PROPERTY_LIMIT_MS,
  );

  it(
    `${invariants} (fresh seed ${freshSeed}: replay with HOTWORKER_SEED=${freshSeed})`,
    async () => {
      await fc.assert(
        fc.asyncProperty(runs, (steps) => scenario(steps, { duringUpgrade: 0, duringRollback: 0 })),
        { numRuns: 5, seed: freshSeed, endOnFailure: true },
      );
    },
    PROPERTY_LIMIT_MS,
  );
});

async function scenario(steps: Step[], overlap: Overlap): Promise<void> {
  {
    const ws = workspace();
    const source = ws.fixture('interleave.ts');
    const threadsBefore = canCountThreads ? osThreadCount() : 0;
    const mod: HotModule<Interleave> = await ws.hot<Interleave>(ws.write('v0.ts', source), {
      threads: 2,
      // No step relies on a load timing out (bad versions fail at build, load or verify at
      // once); the limit only bounds a hang. Threads start slowly on a busy machine.
      loadTimeout: 60_000,
      verify: async (api) => {
        await api.tagged(0);
      },
    });
    const tagOf = (version: VersionInfo) => /v(\d+)\.ts$/.exec(version.entry)?.[1];
    const pending: Promise<void>[] = [];
    let unsettled = 0;
    const track = (promise: Promise<void>) => {
      unsettled++;
      pending.push(promise.finally(() => unsettled--));
    };
    let callsStarted = 0;
    const violations: string[] = [];
    const check = (ok: boolean, message: string) => {
      if (!ok) violations.push(message);
    };
    // After an upgrade or rollback, the generation it replaced must be gone.
    const onShift = ({ from, to }: { from: VersionInfo; to: VersionInfo }) => {
      const alive = mod.stats.alive.map((generation) => generation.version);
      check(!alive.includes(from) || from === to, `v${from.id} still alive after shifting to v${to.id}`);
    };
    mod.on('upgrade', onShift);
    mod.on('rollback', onShift);
    mod.on('crash', () => {});

    let versions = 0;
    for (const current of steps) {
      switch (current.kind) {
        case 'call': {
          callsStarted++;
          const expected = tagOf(mod.version);
          track(
            mod.api.tagged(current.ms).then(
              (tag) => check(tag === `t${expected}`, `call pinned to v${expected} answered ${tag}`),
              (error: unknown) => check(false, `call failed: ${error}`),
            ),
          );
          break;
        }
        case 'abort': {
          callsStarted++;
          const expected = tagOf(mod.version);
          const controller = new AbortController();
          const reason = new Error('aborted by test');
          track(
            mod.run('tagged', [current.ms], { signal: controller.signal }).then(
              (tag) => check(tag === `t${expected}`, `aborted call pinned to v${expected} answered ${tag}`),
              (error: unknown) => check(error === reason, `aborted call rejected with ${error}`),
            ),
          );
          let ticks = current.afterTicks;
          const abortLater = (): unknown => (ticks-- > 0 ? setImmediate(abortLater) : controller.abort(reason));
          abortLater();
          break;
        }
        case 'crash':
          track(
            mod.api.crash().then(
              () => check(false, 'crash() resolved'),
              (error: unknown) => check((error as { code?: string }).code === 'ERR_HOT_WORKER_EXIT', `crash() rejected with ${error}`),
            ),
          );
          break;
        case 'upgrade': {
          versions++;
          const number = versions;
          const tag = `t${number}`;
          const text =
            current.outcome === 'syntax'
              ? `${source}\nexport function broken( {\n`
              : current.outcome === 'throws'
                ? `${source}\nthrow new Error('bad release');\n`
                : current.outcome === 'verify'
                  ? source.replace('return TAG;', "throw new Error('broken');")
                  : source;
          const entry = ws.write(`v${number}.ts`, text.replace("TAG = 't0'", `TAG = '${tag}'`));
          const outcome = current.outcome;
          const startedBefore = callsStarted;
          const upgraded = mod.upgrade({ entry });
          upgraded.then(() => (overlap.duringUpgrade += callsStarted - startedBefore)).catch(() => undefined);
          track(
            upgraded.then(
              (version) =>
                check(outcome === 'good' && tagOf(version) === String(number), `upgrade to ${outcome} ${tag} resolved as v${version.id}`),
              (error: unknown) => {
                const code = (error as { code?: string }).code;
                // Still queued when the final close came: refused, as promised.
                if (code === 'ERR_HOT_CLOSED') return;
                check(
                  outcome !== 'good' && code === expectedCode[outcome as keyof typeof expectedCode],
                  `upgrade to ${outcome} rejected with ${error}`,
                );
              },
            ),
          );
          break;
        }
        case 'rollback': {
          const startedBefore = callsStarted;
          const rolledBack = mod.rollback();
          rolledBack.then(() => (overlap.duringRollback += callsStarted - startedBefore)).catch(() => undefined);
          track(
            rolledBack.then(
              () => undefined,
              (error: unknown) =>
                check(
                  ['ERR_HOT_NO_PREVIOUS', 'ERR_HOT_CLOSED'].includes(String((error as { code?: string }).code)),
                  `rollback rejected with ${error}`,
                ),
            ),
          );
          break;
        }
        case 'settle':
          await Promise.all(pending.splice(0));
          check(mod.stats.alive.length === 1, `${mod.stats.alive.length} generations alive when idle`);
          break;
      }
      if (current.gap === 'tick') await new Promise((resolve) => setImmediate(resolve));
      if (current.gap === 'shift') {
        // Until an upgrade or rollback shifts traffic (the next calls then start while it
        // drains), or until nothing is left to run.
        const before = mod.version;
        while (mod.version === before && unsettled > 0) await new Promise((resolve) => setImmediate(resolve));
      }
    }
    await mod.close();
    // Every promise settles: bounded, so a hang fails with a message instead of a timeout.
    const settledAll = await Promise.race([
      Promise.all(pending).then(() => true),
      new Promise<boolean>((resolve) => setTimeout(resolve, 60_000, false).unref()),
    ]);
    check(settledAll, 'some call or upgrade never settled');
    check(mod.stats.alive.length === 0, 'generations alive after close');
    if (canCountThreads) {
      const left = (await threadsAfterSettling(threadsBefore, 30_000)) - threadsBefore;
      check(left <= 0, `${left} threads left after close`);
    }
    expect(violations).toEqual([]);
  }
}
