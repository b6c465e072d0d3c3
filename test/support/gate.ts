/**
 * Holds calls of the `gate.ts` fixture inside their workers until the test opens the gate:
 * coordination through SharedArrayBuffer and Atomics, never sleeps.
 */
export interface Gate {
  /** Pass this to `hold()`. */
  readonly shared: SharedArrayBuffer;
  /** Resolves once `count` calls are inside `hold()`. */
  entered(count: number): Promise<void>;
  /** Lets every held call (and every later one) return. */
  open(): void;
}

export function gate(): Gate {
  const shared = new SharedArrayBuffer(8);
  const cells = new Int32Array(shared);
  return {
    shared,
    async entered(count) {
      for (let seen = Atomics.load(cells, 1); seen < count; seen = Atomics.load(cells, 1)) {
        await Atomics.waitAsync(cells, 1, seen).value;
      }
    },
    open() {
      Atomics.store(cells, 0, 1);
      Atomics.notify(cells, 0);
    },
  };
}
