// The standby set and its handoff, driven directly: when it says it is ready, what claim() and
// destroy() do to it, and the shared buffer a version travels through to its workers.
import { pathToFileURL } from 'node:url';
import type { Piscina } from 'piscina';
import { describe, expect, it } from 'vitest';
import { awaitHandoff, createHandoff, isStandbyWorkerData, readHandoff, writeHandoff } from '../dist/src/handoff.js';
import { endPool } from '../dist/src/pool-end.js';
import { Standby } from '../dist/src/standby.js';
import { type Workspace, workspace } from './support/workspace.js';

/** A standby set of 2 threads, destroyed after the test. */
function standby(ws: Workspace): Standby {
  const set = new Standby({ minThreads: 2, maxThreads: 2, resourceLimits: undefined, atomics: 'async' });
  ws.defer(() => set.destroy());
  return set;
}

/** A one-function bundle, as the build would write it: its worker data. */
function bundle(ws: Workspace): { bundle: string } {
  return { bundle: pathToFileURL(ws.write('bundle.mjs', 'export function one() { return 1; }\n')).href };
}

describe('a standby set', () => {
  it('is ready once every one of its workers is, and says so to every waiter', async () => {
    const set = standby(workspace());
    expect(set.ready).toBe(false);
    // Booting takes longer than a millisecond: a wait that short gives up.
    expect(await set.whenReady(1)).toBe(false);
    const waiters = [set.whenReady(), set.whenReady(30_000)];
    expect(await waiters[0]).toBe(true);
    // Told when the last worker is ready, not the first.
    expect(set.ready).toBe(true);
    expect(set.threadIds).toHaveLength(2);
    expect(await waiters[1]).toBe(true);
    expect(await set.whenReady()).toBe(true);
  });

  it('is handed one version, once; the pool it hands out runs it, and its destroy() leaves that pool alone', async () => {
    const ws = workspace();
    const set = standby(ws);
    const version = bundle(ws);
    expect(set.claim(version)).toBeUndefined();
    expect(set.claimed).toBe(false);
    await set.whenReady();
    const pool = set.claim(version) as Piscina;
    expect(pool).toBeDefined();
    ws.defer(() => endPool(pool));
    expect(set.claimed).toBe(true);
    expect(set.ready).toBe(false);
    expect(set.threadIds).toEqual([]);
    // Handed out, it is no standby any more: nothing more to claim, nothing to wait for.
    expect(set.claim(version)).toBeUndefined();
    expect(await set.whenReady()).toBe(false);
    await set.destroy();
    expect(await pool.run({ fn: 'one', args: [] })).toBe(1);
    expect(pool.threads).toHaveLength(2);
  });

  it('ends its workers with destroy(), and every wait for it ends false', async () => {
    const ws = workspace();
    const set = standby(ws);
    const waiting = set.whenReady();
    const ending = set.destroy();
    expect(await waiting).toBe(false);
    expect(set.destroy()).toBe(ending);
    await ending;
    expect(set.ready).toBe(false);
    expect(await set.whenReady()).toBe(false);
    expect(set.claim(bundle(ws))).toBeUndefined();
  });
});

describe('the handoff buffer', () => {
  it('carries plain fields as JSON and each SharedArrayBuffer field as its bytes', () => {
    const buffer = createHandoff();
    expect(readHandoff(buffer)).toBeUndefined();
    const first = new SharedArrayBuffer(3);
    new Uint8Array(first).set([1, 2, 3]);
    const second = new SharedArrayBuffer(2);
    new Uint8Array(second).set([9, 8]);
    expect(writeHandoff(buffer, { bundle: 'file:///b.mjs', commonjs: true, first, second })).toBe(true);
    const read = readHandoff(buffer) as Record<string, unknown>;
    expect(read).toMatchObject({ bundle: 'file:///b.mjs', commonjs: true });
    expect(read.first).toBeInstanceOf(SharedArrayBuffer);
    expect([...new Uint8Array(read.first as SharedArrayBuffer)]).toEqual([1, 2, 3]);
    expect([...new Uint8Array(read.second as SharedArrayBuffer)]).toEqual([9, 8]);
    // A copy: the reader's bytes are its own.
    expect(read.first).not.toBe(first);
  });

  it('is written once, and not at all for a payload over its room', () => {
    const buffer = createHandoff();
    expect(writeHandoff(buffer, { source: new SharedArrayBuffer(256 * 1024 * 1024 + 1) })).toBe(false);
    expect(readHandoff(buffer)).toBeUndefined();
    expect(writeHandoff(buffer, { bundle: 'file:///b.mjs' })).toBe(true);
    expect(() => writeHandoff(buffer, { bundle: 'file:///c.mjs' })).toThrow(/handed a bundle only once/);
    expect(readHandoff(buffer)).toEqual({ bundle: 'file:///b.mjs' });
  });

  it('wakes a worker waiting for it, or answers at once once written', async () => {
    const buffer = createHandoff();
    const waiting = awaitHandoff(buffer);
    writeHandoff(buffer, { bundle: 'file:///b.mjs' });
    expect(await waiting).toEqual({ bundle: 'file:///b.mjs' });
    expect(await awaitHandoff(buffer)).toEqual({ bundle: 'file:///b.mjs' });
  });

  it('is what tells a standby worker from a serving one', () => {
    expect(isStandbyWorkerData({ handoff: createHandoff() })).toBe(true);
    for (const data of [null, undefined, 'handoff', {}, { handoff: new ArrayBuffer(8) }, { bundle: 'file:///b.mjs' }]) {
      expect(isStandbyWorkerData(data)).toBe(false);
    }
  });
});
