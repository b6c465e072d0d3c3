/**
 * The bench's `split` placement (bench/lib/placement.js): the caller's thread on CPU 0, every
 * other thread on CPU 1. If it placed nothing, its pass would measure unpinned calls under a
 * pinned title.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { unavailable } from '../bench/lib/placement.js';

const script = fileURLToPath(new URL('./fixtures/scripts/placement-split.mjs', import.meta.url));
const why = unavailable('split');

describe('bench placement', () => {
  it.skipIf(why !== undefined)(
    `split puts the main thread on CPU 0 and every other thread on CPU 1${why ? ` (skipped: ${why})` : ''}`,
    async () => {
      const stdout = await new Promise<string>((resolve, reject) =>
        execFile(process.execPath, [script], (error, out) => (error ? reject(error) : resolve(out))),
      );
      const { main, others } = JSON.parse(stdout) as { main: string; others: string[] };
      expect(main).toBe('0');
      expect(others.length).toBeGreaterThan(1);
      expect(new Set(others)).toEqual(new Set(['1']));
    },
  );

  it('a process started without --placement runs unpinned', async () => {
    const { placementOf } = await import('../bench/lib/placement.js');
    expect(placementOf(['node', 'x.js'])).toBeUndefined();
    expect(placementOf(['node', 'x.js', '--placement=split'])).toBe('split');
    expect(placementOf(['node', 'x.js', '--placement=elsewhere'])).toBeUndefined();
  });
});
