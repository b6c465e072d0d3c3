// remote() refuses bad options before it connects: a queue name is required, and
// jobCheckInterval is a positive number of milliseconds (Infinity: no check).
import { remote } from 'hotworker/fleet';
import { describe, expect, it } from 'vitest';

const connection = 'redis://127.0.0.1:1';

describe('remote() options', () => {
  it('refuses a missing queue name', () => {
    expect(() => remote({ queue: '', connection })).toThrow(expect.objectContaining({ code: 'ERR_HOT_INVALID_OPTION' }));
  });

  it.each([0, -5, Number.NaN, '1000'])('refuses jobCheckInterval %s', (value) => {
    expect(() => remote({ queue: 'jobs', connection, jobCheckInterval: value as number })).toThrow(
      expect.objectContaining({ code: 'ERR_HOT_INVALID_OPTION', option: 'jobCheckInterval' }),
    );
  });
});
