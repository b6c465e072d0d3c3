// The watcher of watch mode on its own: renames count, bursts coalesce (debounced from the
// last change), and a batch never starts while the previous one runs.
import { renameSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../dist/src/serve/log.js';
import { InputWatcher } from '../dist/src/serve/watch.js';
import { workspace } from './support/workspace.js';

/** Resolves on the next change event of `file`, seen by a watcher of the test's own. */
function changeOf(file: string, dir: string): Promise<void> {
  return new Promise((resolve) => {
    const observer = watch(dir, (_event, name) => {
      if (name !== null && join(dir, name.toString()) === file) {
        observer.close();
        resolve();
      }
    });
  });
}

describe('InputWatcher', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('hands on changes in batches, never while the previous batch runs', async () => {
    // The debounce timer is driven by hand: "no batch starts while one runs" is then checked
    // by running every timer the watcher has set, instead of sleeping and hoping.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const ws = workspace();
    const a = ws.write('a.ts', 'a');
    const b = ws.write('b.ts', 'b');
    ws.write('ignored.ts', 'x');
    const batches: string[][] = [];
    let running = 0;
    let overlapped = false;
    let release: () => void = () => {};
    let started: () => void = () => {};
    let nextBatch = new Promise<void>((resolve) => {
      started = resolve;
    });
    const watcher = new InputWatcher(
      [a, b],
      async (files) => {
        if (running > 0) overlapped = true;
        running++;
        batches.push(files.sort());
        const done = new Promise<void>((resolve) => {
          release = resolve;
        });
        started();
        await done;
        running--;
      },
      { logger: silentLogger, debounceMs: 20 },
    );
    ws.defer(() => watcher.close());

    const seenA = changeOf(a, ws.dir);
    writeFileSync(a, 'a1');
    await seenA;
    vi.advanceTimersByTime(20);
    await nextBatch;
    expect(batches).toEqual([[a]]);

    // While the first batch runs: changes to both files, and one to a file not watched.
    nextBatch = new Promise((resolve) => {
      started = resolve;
    });
    const seen = changeOf(b, ws.dir);
    writeFileSync(join(ws.dir, 'ignored.ts'), 'y');
    writeFileSync(a, 'a2');
    // An editor's save: write a temporary file, rename it over the original.
    writeFileSync(join(ws.dir, '.b.ts.tmp'), 'b2');
    renameSync(join(ws.dir, '.b.ts.tmp'), b);
    // Our own watcher of the directory saw the last change, so the watcher under test has seen
    // them all (both are told in the same pass over the directory's events).
    await seen;
    // Every debounce timer the watcher set runs now, with the first batch still running:
    // nothing may start.
    vi.runAllTimers();
    expect(batches).toHaveLength(1);
    release();
    // The end of the first batch schedules the next after the debounce.
    await vi.waitFor(
      () => {
        vi.runAllTimers();
        expect(batches).toHaveLength(2);
      },
      { timeout: 5_000 },
    );
    await nextBatch;
    expect(batches).toEqual([[a], [a, b].sort()]);
    release();
    expect(overlapped).toBe(false);
  });

  it('coalesces a burst of saves into one batch, however long the burst, while each save comes within the debounce of the last', async () => {
    // Fake timers: time moves only when the test says, so the burst's timing is exact even on
    // a loaded machine (the serve-watch end-to-end test cannot pin it down).
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const ws = workspace();
    const entry = ws.write('clock.ts', 'save 0');
    const batches: string[][] = [];
    const watcher = new InputWatcher(
      [entry],
      async (files) => {
        batches.push(files);
      },
      { logger: silentLogger, debounceMs: 100 },
    );
    ws.defer(() => watcher.close());
    /** An editor's save (a new file renamed over the old: one event for the entry), seen by the watcher. */
    const save = async (text: string) => {
      const seen = changeOf(entry, ws.dir);
      writeFileSync(join(ws.dir, '.clock.ts.tmp'), text);
      renameSync(join(ws.dir, '.clock.ts.tmp'), entry);
      await seen;
    };

    // 20 saves 60 ms apart: 1.2 s in all, twelve debounce periods, but never 100 ms quiet.
    for (let i = 1; i <= 20; i++) {
      await save(`save ${i}`);
      vi.advanceTimersByTime(60);
      expect(batches).toEqual([]);
    }
    vi.advanceTimersByTime(40);
    expect(batches).toEqual([[entry]]);
    // The batch has settled and nothing is left to hand on: no timer pending.
    await vi.waitFor(() => expect(vi.getTimerCount()).toBe(0));

    // One more save after the quiet time is one more batch.
    await save('after');
    vi.advanceTimersByTime(100);
    expect(batches).toEqual([[entry], [entry]]);
  });

  it('follows a new set of files', async () => {
    const ws = workspace();
    const a = ws.write('a.ts', 'a');
    const c = ws.write('sub-c.ts', 'c');
    let onBatch: (files: string[]) => void = () => {};
    const watcher = new InputWatcher([a], async (files) => onBatch(files), { logger: silentLogger, debounceMs: 10 });
    ws.defer(() => watcher.close());
    watcher.update([c]);
    expect(watcher.files).toEqual([c]);
    const batch = new Promise<string[]>((resolve) => {
      onBatch = resolve;
    });
    writeFileSync(c, 'c1');
    expect(await batch).toEqual([c]);
  });
});
