// TaskPlacement: tells a call piscina has handed to a worker from one it still queues, by
// piscina 5's worker records; on a piscina shaped otherwise it says it cannot tell.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { placementOf, trackPlacement } from '../dist/src/task-placement.js';

/** A balancer view as piscina 5's 'workerCreate' hands it: its worker record behind `Piscina.kWorkerData`. */
function viewOf(record: object): object {
  return { [Symbol('Piscina.kWorkerData')]: record };
}

describe('TaskPlacement', () => {
  it("finds a task by the signal it was run with, among the tasks of the pool's live workers", () => {
    const pool = new EventEmitter();
    const placement = trackPlacement(pool as never);
    expect(placementOf(pool as never)).toBe(placement);
    const taskInfos = new Map<number, { abortSignal: object | null }>();
    const record = { destroyed: false, taskInfos };
    pool.emit('workerCreate', viewOf(record));
    const signal = {};
    expect(placement.isPlaced(signal)).toBe(false);
    taskInfos.set(1, { abortSignal: {} });
    expect(placement.isPlaced(signal)).toBe(false);
    taskInfos.set(2, { abortSignal: signal });
    expect(placement.isPlaced(signal)).toBe(true);
    // A worker piscina has ended holds nothing any more.
    record.destroyed = true;
    expect(placement.isPlaced(signal)).toBe(false);
    const next = new Map([[3, { abortSignal: signal }]]);
    pool.emit('workerCreate', viewOf({ destroyed: false, taskInfos: next }));
    expect(placement.isPlaced(signal)).toBe(true);
    // The ended worker's record was dropped when the next one came; a live one stays.
    expect(placement.size).toBe(1);
    pool.emit('workerCreate', viewOf({ destroyed: false, taskInfos: new Map() }));
    expect(placement.size).toBe(2);
    // Found on the older of two live workers too.
    expect(placement.isPlaced(signal)).toBe(true);
  });

  it('cannot tell once a worker record is shaped otherwise', () => {
    const pool = new EventEmitter();
    const placement = trackPlacement(pool as never);
    pool.emit('workerCreate', viewOf({ destroyed: false, taskInfos: [] }));
    expect(placement.isPlaced({})).toBeUndefined();
    const noFlag = new EventEmitter();
    const unflagged = trackPlacement(noFlag as never);
    noFlag.emit('workerCreate', viewOf({ taskInfos: new Map() }));
    expect(unflagged.isPlaced({})).toBeUndefined();
    const other = new EventEmitter();
    const unseen = trackPlacement(other as never);
    other.emit('workerCreate', {});
    expect(unseen.isPlaced({})).toBeUndefined();
  });
});
