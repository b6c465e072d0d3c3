import { describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

describe('calls', () => {
  it('runs exported functions through api and call()', async () => {
    const ws = workspace();
    const math = await ws.hot<typeof import('./fixtures/math.ts')>(ws.copy('math.ts'), { threads: 2 });
    expect(await math.api.fib(20)).toBe(6765);
    expect(await math.call('add', 2, 3)).toBe(5);
    expect(await math.api.addLater(4, 5)).toBe(9);
  });
});
