/**
 * Interleaved timing: how scenarios compare contenders fairly on a shared machine.
 *
 * One *run* is `rounds` rounds; in each round every contender does one short block of work,
 * in an order rotated from round to round. A contender's figure for the run is its total time
 * over all its blocks divided by the work done. Because the blocks of all contenders alternate
 * every few milliseconds, a burst of load from another process falls on all of them alike, and
 * the ratio of two figures from the same run measures the contenders, not the moment.
 */

/**
 * @param entries `[{ name, block: () => Promise<void> }]` — `block` does one block of work
 * @param options `{ runs, rounds, firstRotation?, onRound? }`
 * @returns `Map<name, { wallMs: number[], cpuMs: number[] }>`: one total per run
 */
export async function interleavedRuns(entries, { runs, rounds, firstRotation = 0, onRound }) {
  const totals = new Map(entries.map(({ name }) => [name, { wallMs: [], cpuMs: [] }]));
  for (let run = 0; run < runs; run++) {
    const wall = new Map(entries.map(({ name }) => [name, 0]));
    const cpu = new Map(entries.map(({ name }) => [name, 0]));
    for (let round = 0; round < rounds; round++) {
      for (const { name, block } of rotate(entries, firstRotation + run * rounds + round)) {
        const cpuBefore = process.cpuUsage();
        const started = performance.now();
        await block();
        wall.set(name, wall.get(name) + performance.now() - started);
        const used = process.cpuUsage(cpuBefore);
        cpu.set(name, cpu.get(name) + (used.user + used.system) / 1000);
      }
      onRound?.();
    }
    for (const { name } of entries) {
      totals.get(name).wallMs.push(wall.get(name));
      totals.get(name).cpuMs.push(cpu.get(name));
    }
  }
  return totals;
}

export function rotate(list, by) {
  const k = by % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}
