/**
 * Cells shared with the `counted()` export of the `map.ts` fixture: cells[0] counts the
 * inputs that ran, cells[1] releases the inputs marked `hold`. Atomics, never sleeps.
 */
export interface Counter {
  readonly cells: Int32Array;
  /** How many inputs have started. */
  readonly count: number;
  /** Resolves once at least `count` inputs have started. */
  started(count: number): Promise<void>;
  /** Lets every held input (and every later one) return. */
  release(): void;
}

export function counter(): Counter {
  const cells = new Int32Array(new SharedArrayBuffer(8));
  return {
    cells,
    get count() {
      return Atomics.load(cells, 0);
    },
    async started(count) {
      for (let seen = Atomics.load(cells, 0); seen < count; seen = Atomics.load(cells, 0)) {
        await Atomics.waitAsync(cells, 0, seen).value;
      }
    },
    release() {
      Atomics.store(cells, 1, 1);
      Atomics.notify(cells, 1);
    },
  };
}
