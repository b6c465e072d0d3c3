/**
 * A `counted.ts` module whose every thread is busy inside `hold()` until the test opens the
 * gate (opened after the test in any case): what a test needs to keep later calls queued.
 */
import type { HotModule, HotOptions } from 'hotworker';
import { type Gate, gate } from './gate.js';
import type { Workspace } from './workspace.js';

type Counted = typeof import('../fixtures/counted.ts');

export interface HeldModule {
  readonly mod: HotModule<Counted>;
  readonly held: Gate;
  /** The calls holding the threads; they settle once `held` opens. */
  readonly busy: Promise<number[]>;
}

/** Opens `counted.ts` with `options` (`threads: 1` unless given) and holds every one of its threads. */
export async function heldModule(ws: Workspace, options: HotOptions<Counted> = {}): Promise<HeldModule> {
  const threads = options.threads ?? 1;
  const mod = await ws.hot<Counted>(ws.copy('counted.ts'), { threads, ...options });
  const held = gate();
  ws.defer(() => held.open());
  const busy = Promise.all(Array.from({ length: threads }, () => mod.api.hold(held.shared)));
  await held.entered(threads);
  return { mod, held, busy };
}
