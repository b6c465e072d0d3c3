/**
 * bench/RESULTS.md says only what its run says: the hand-written notes carry no figure (every
 * number is generated from RESULTS.json), and the targets are counted against each piscina
 * baseline.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assertNoFigures, NOTES_MARKER, targetsTitle } from '../bench/lib/report.js';

describe('bench/RESULTS.md', () => {
  it('the committed notes carry no figure of their own', () => {
    const text = readFileSync(new URL('../bench/RESULTS.md', import.meta.url), 'utf8');
    expect(text).toContain(NOTES_MARKER);
    expect(() => assertNoFigures(text.slice(text.indexOf(NOTES_MARKER)))).not.toThrow();
  });

  it('refuses notes with a figure, and allows scenario and issue numbers and code', () => {
    expect(() => assertNoFigures('hotworker is within 1 % of raw piscina')).toThrow(/line 1, carry a figure/);
    expect(() => assertNoFigures('a switch takes 44 ms')).toThrow();
    expect(() => assertNoFigures('**5. Latency.** scenarios 1 and 2, the p99, nodejs/node#45685, `atomics: 1`')).not.toThrow();
    expect(() => assertNoFigures('**11. Serve.** scenario 11, like scenarios 10 and 11')).not.toThrow();
    expect(() => assertNoFigures('**11. Serve.** at 32 connections')).toThrow();
  });

  it('counts the targets once per piscina baseline', () => {
    const targets = [
      { met: true, baseline: 'piscina (atomics: async)' },
      { met: false, baseline: 'piscina defaults (atomics: sync)' },
      { met: true, baseline: 'serial' },
      { met: false },
    ];
    expect(targetsTitle(targets)).toBe(
      '2 of 3 met with piscina (atomics: async) as the baseline of scenarios 1 and 2; 1 of 3 met with piscina defaults (atomics: sync) as the baseline of scenarios 1 and 2',
    );
    expect(targetsTitle([{ met: true }, { met: false }])).toBe('1 of 2 met');
  });
});
