import { describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

type Arguments = typeof import('./fixtures/arguments.ts');

describe('the arguments a call delivers', () => {
  it('passes exactly the arguments given, however many, undefined ones included', async () => {
    const ws = workspace();
    const mod = await ws.hot<Arguments>(ws.copy('arguments.ts'), { threads: 1 });
    const lists: unknown[][] = [
      [],
      [undefined],
      [1],
      [1, 'two'],
      [1, 'two', { three: 3 }],
      [1, 2, 3, 4, 5],
      [undefined, undefined, undefined, undefined],
    ];
    for (const args of lists) {
      expect(await mod.call('received', ...args)).toEqual({ count: args.length, args });
      expect(await mod.run('received', args)).toEqual({ count: args.length, args });
      expect(await mod.api.received(...args)).toEqual({ count: args.length, args });
    }
  });
});
