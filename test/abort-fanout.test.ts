/**
 * One 'abort' listener per signal, however many calls wait on it (dist/src/abort-fanout.js):
 * every subscriber hears the abort once, one leaving never silences the others, the last one
 * out takes the signal's listener away, and nothing is left on a signal once it has aborted.
 */
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { subscribe, subscriberCount, unsubscribe } from '../dist/src/abort-fanout.js';

describe('abort fan-out', () => {
  it('tells every subscriber once, through one listener, and leaves none on the aborted signal', () => {
    const controller = new AbortController();
    const heard: string[] = [];
    subscribe(controller.signal, () => heard.push('a'));
    subscribe(controller.signal, () => heard.push('b'));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort();
    expect(heard).toEqual(['a', 'b']);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(subscriberCount(controller.signal)).toBe(0);
  });

  it('keeps listening for the others when one subscriber leaves; the last one out removes the listener', () => {
    const controller = new AbortController();
    let heard = 0;
    const leaving = () => heard--;
    const staying = () => heard++;
    subscribe(controller.signal, leaving);
    subscribe(controller.signal, staying);
    unsubscribe(controller.signal, leaving);
    unsubscribe(controller.signal, leaving);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    unsubscribe(controller.signal, staying);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);

    subscribe(controller.signal, staying);
    controller.abort();
    expect(heard).toBe(1);
  });

  it('does nothing for a signal already aborted (its listener could never be called)', () => {
    const signal = AbortSignal.abort();
    subscribe(signal, () => {
      throw new Error('never called');
    });
    expect(subscriberCount(signal)).toBe(0);
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  });
});
