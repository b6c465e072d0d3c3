// The list of answers a server has begun and not closed (src/serve/open-answers.ts): what a
// shutdown waits for and asks to close their connections. Swap-remove keeps it compact.
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { OpenAnswers } from '../dist/src/serve/open-answers.js';

const answer = (name: string) => ({ name }) as unknown as ServerResponse;

describe('OpenAnswers', () => {
  it('tracks each answer once, until deleted, whatever the order of deletion', () => {
    const open = new OpenAnswers();
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map(answer) as [ServerResponse, ServerResponse, ServerResponse, ServerResponse];
    for (const response of [a, b, c, d]) open.add(response);
    open.add(b);
    expect(open.size).toBe(4);
    open.delete(b); // from the middle: the last takes its place
    expect(new Set(open)).toEqual(new Set([a, c, d]));
    open.delete(d); // the one that moved
    expect(new Set(open)).toEqual(new Set([a, c]));
    open.delete(c); // the last
    open.delete(c); // again: nothing
    open.delete(answer('never added'));
    expect([...open]).toEqual([a]);
    expect(open.size).toBe(1);
    open.delete(a);
    expect(open.size).toBe(0);
    expect([...open]).toEqual([]);
  });

  it('an answer deleted can be tracked again, and two lists do not mix', () => {
    const one = new OpenAnswers();
    const two = new OpenAnswers();
    const a = answer('a');
    const b = answer('b');
    one.add(a);
    one.add(b);
    one.delete(a);
    one.add(a);
    expect(new Set(one)).toEqual(new Set([a, b]));
    two.add(answer('c'));
    // `a` sits at index 1 of `one`; index 1 of `two` is empty: deleting it there changes nothing.
    two.delete(a);
    expect(one.size).toBe(2);
    expect(two.size).toBe(1);
  });
});
