/**
 * Where a scenario's threads run. On a 2-vCPU VM one sequential call's latency depends
 * several-fold on where the OS put the worker: on the caller's CPU a wake is a context switch
 * (~30 µs a call here), on the other CPU it is an interrupt to a vCPU that may be halted
 * (~80–100 µs). With several pools open in one process, unpinned, where each pool's worker runs
 * follows the order the pools were warmed in (the one warmed last on the other CPU, in scenario
 * 1's measurement), so two contenders side by side can differ by 2× for that alone. A scenario
 * that compares the software's own cost runs again in a child process with placement fixed,
 * once per regime:
 *
 * - `same`: every thread pinned to CPU 0 (`taskset -c 0`): each wake is a context switch, and
 *   the software's own cost weighs most.
 * - `split`: the caller (main thread) on CPU 0, every other thread on CPU 1: each wake
 *   crosses CPUs, as an unpinned call does when the worker lands on the other CPU.
 *
 * Linux only, with `taskset` (util-linux); `split` needs two CPUs.
 */
import { execFileSync, fork, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

const FLAG = '--placement=';

/** The regimes, with the words a table title uses for each. */
export const PLACEMENTS = {
  same: 'every thread pinned to 1 CPU',
  split: 'caller on CPU 0, every other thread on CPU 1',
};

/** The placement this process runs under (`'same'`, `'split'`), or `undefined` when unpinned. */
export function placementOf(argv = process.argv) {
  const value = argv.find((arg) => arg.startsWith(FLAG))?.slice(FLAG.length);
  return value in PLACEMENTS ? value : undefined;
}

/** Why `placement` cannot run on this machine, or `undefined` when it can. */
export function unavailable(placement) {
  if (process.platform !== 'linux') return 'placement needs Linux';
  if (spawnSync('taskset', ['-c', '0', 'true']).status !== 0) return 'taskset is not available (util-linux)';
  if (placement === 'split' && availableParallelism() < 2) return 'split placement needs 2 CPUs';
  return undefined;
}

/**
 * Runs scenario file `url` again in a child process under `placement`.
 * @returns the child's result, or a string saying why there is none
 */
function runPlaced(url, placement, { quick }) {
  const why = unavailable(placement);
  if (why !== undefined) return Promise.resolve(why);
  return new Promise((resolve) => {
    const args = [`${FLAG}${placement}`, ...(quick ? ['--quick'] : [])];
    // `same` pins the whole process from its start, so every thread it ever makes is on CPU 0;
    // `split` is applied by the scenario once its threads exist (placeThreads()).
    const child =
      placement === 'same'
        ? fork(fileURLToPath(url), args, { execPath: 'taskset', execArgv: ['-c', '0', process.execPath] })
        : fork(fileURLToPath(url), args);
    let result = `the ${placement} pass exited without a result`;
    child.on('message', (message) => {
      if (message?.type === 'result') result = message.result;
    });
    child.on('exit', () => resolve(result));
  });
}

/**
 * Runs scenario file `url` once per placement and adds each pass's tables and targets to
 * `result` (a table saying why, for a pass that could not run); `mergeData(childData)` takes
 * the rest of each pass's result.
 */
export async function addPlacedPasses(result, url, { quick, mergeData }) {
  for (const placement of Object.keys(PLACEMENTS)) {
    const child = await runPlaced(url, placement, { quick });
    if (typeof child === 'string') {
      result.tables.push({ title: `${PLACEMENTS[placement]}: skipped`, columns: ['why'], rows: [[child]] });
      continue;
    }
    result.tables.push(...child.tables);
    result.targets.push(...child.targets);
    mergeData(child.data);
  }
}

/**
 * Under `split`, moves every thread of this process but the main one to CPU 1 and the main one
 * to CPU 0. Call it once the threads to be measured exist (after opening and warming the pools
 * of a run): a thread made later inherits its maker's CPU. Does nothing under other placements.
 */
export function placeThreads(placement = placementOf()) {
  if (placement !== 'split') return;
  const main = String(process.pid);
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      execFileSync('taskset', ['-p', '-c', tid === main ? '0' : '1', tid], { stdio: 'ignore' });
    } catch {
      // The thread ended between the listing and taskset: nothing to place.
    }
  }
}
