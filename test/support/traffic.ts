/**
 * Keeps `concurrency` calls in flight until stopped: the traffic a canary step or a watch
 * judges. Each outcome is kept, so a test can check what callers saw.
 */
export interface Outcome {
  readonly value?: unknown;
  readonly error?: unknown;
}

export interface Traffic {
  /** Every call made so far, settled or not. */
  readonly outcomes: Promise<Outcome>[];
  /** Stops making calls and resolves with every outcome once all have settled. */
  stop(): Promise<Outcome[]>;
}

export function traffic(call: () => Promise<unknown>, concurrency: number): Traffic {
  const outcomes: Promise<Outcome>[] = [];
  let stopped = false;
  const lane = async () => {
    while (!stopped) {
      const outcome = call().then(
        (value): Outcome => ({ value }),
        (error: unknown): Outcome => ({ error }),
      );
      outcomes.push(outcome);
      // A closed module rejects at once: looping on that would starve the event loop.
      if (((await outcome).error as { code?: string } | undefined)?.code === 'ERR_HOT_CLOSED') return;
    }
  };
  const lanes = Array.from({ length: concurrency }, lane);
  return {
    outcomes,
    async stop() {
      stopped = true;
      await Promise.all(lanes);
      return Promise.all(outcomes);
    },
  };
}

/** The fixture's source with its constants set. */
export function rolloutSource(source: string, constants: { VERSION?: number; FAIL_EVERY?: number; DELAY_MS?: number }): string {
  let result = source;
  for (const [name, value] of Object.entries(constants)) result = result.replace(new RegExp(`${name} = \\d+`), `${name} = ${value}`);
  return result;
}
