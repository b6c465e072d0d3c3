/**
 * Interleaved timing: how scenarios compare contenders fairly on a shared machine.
 *
 * One *run* is `rounds` rounds; in each round every contender does one short block of work,
 * in an order shuffled afresh each round (seeded, so a run can be repeated). A contender's figure for the run is its total time
 * over all its blocks divided by the work done. Because the blocks of all contenders alternate
 * every few milliseconds, a burst of load from another process falls on all of them alike, and
 * the ratio of two figures from the same run measures the contenders, not the moment.
 */
import { openSync, readSync } from 'node:fs';

/**
 * @param entries `[{ name, block: () => Promise<void> }]` — `block` does one block of work
 * @param options `{ runs, rounds, firstRotation?, onRound? }`
 * @returns `Map<name, { wallMs, cpuMs, callerCpuMs }>`, each `number[]` with one total per run:
 *   wall time, CPU time of the whole process (every thread), and CPU time of the calling (main)
 *   thread alone (Linux; `NaN` elsewhere). The caller's CPU time is the steadiest figure on a
 *   shared machine: other tenants delay a thread but do not make it use more CPU.
 */
export async function interleavedRuns(entries, { runs, rounds, firstRotation = 0, onRound }) {
  const totals = new Map(entries.map(({ name }) => [name, { wallMs: [], cpuMs: [], callerCpuMs: [] }]));
  const measuringNs = measuringCostNs();
  for (let run = 0; run < runs; run++) {
    const wall = new Map(entries.map(({ name }) => [name, 0]));
    const cpu = new Map(entries.map(({ name }) => [name, 0]));
    const callerCpu = new Map(entries.map(({ name }) => [name, 0]));
    for (let round = 0; round < rounds; round++) {
      // Shuffled, so that every contender follows every other about equally often: a block pays
      // for what the one before it left behind (garbage for the collector, threads still
      // winding down). The order used to be rotated, and reversed every other round, which
      // kept each contender behind the same two: in scenario 2 the pool listed after
      // poolifier's measured 8–10 % fewer calls/s than its twin, whichever of hotworker's two
      // contenders was put there.
      const k = firstRotation + run * rounds + round;
      for (const { name, block } of shuffled(entries, k)) {
        const callerBefore = threadCpuNs();
        const cpuBefore = process.cpuUsage();
        const started = performance.now();
        await block();
        wall.set(name, wall.get(name) + performance.now() - started);
        const used = process.cpuUsage(cpuBefore);
        cpu.set(name, cpu.get(name) + (used.user + used.system) / 1000);
        callerCpu.set(name, callerCpu.get(name) + Math.max(0, threadCpuNs() - callerBefore - measuringNs) / 1e6);
      }
      onRound?.();
    }
    for (const { name } of entries) {
      totals.get(name).wallMs.push(wall.get(name));
      totals.get(name).cpuMs.push(cpu.get(name));
      totals.get(name).callerCpuMs.push(callerCpu.get(name));
    }
  }
  return totals;
}

/** The order to open contenders in for run `run`: rotated, and reversed on odd runs. */
export function openingOrder(list, run) {
  return rotate(run % 2 === 1 ? [...list].reverse() : list, run);
}

/** `list` in a random order drawn from `seed` (Fisher–Yates over mulberry32): the same seed, the same order. */
export function shuffled(list, seed) {
  const order = [...list];
  let state = (seed + 0x6d2b79f5) >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

export function rotate(list, by) {
  const k = by % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

/**
 * Nanoseconds of CPU the calling thread has used, from /proc/thread-self/schedstat (Linux;
 * ns resolution, unlike the 10 ms ticks of /proc/.../stat). `NaN` where it cannot be read.
 * The file stays open and is re-read at offset 0: a read then costs a few µs, not ~30.
 * Call it from the main thread only: the file was opened there and describes that thread.
 */
export function threadCpuNs() {
  if (schedstat === undefined) {
    try {
      schedstat = openSync('/proc/thread-self/schedstat', 'r');
    } catch {
      schedstat = null;
    }
  }
  if (schedstat === null) return Number.NaN;
  const length = readSync(schedstat, buffer, 0, buffer.length, 0);
  return Number(buffer.toString('latin1', 0, length).split(' ', 1)[0]);
}

let schedstat;
const buffer = Buffer.alloc(128);

/** Caller CPU nanoseconds that the measuring itself costs per block (median of an empty block). */
function measuringCostNs() {
  const costs = [];
  for (let i = 0; i < 31; i++) {
    const before = threadCpuNs();
    process.cpuUsage(process.cpuUsage());
    performance.now();
    costs.push(threadCpuNs() - before);
  }
  return costs.sort((a, b) => a - b)[15];
}
