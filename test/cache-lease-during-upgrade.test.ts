// The bundle an upgrade loads is leased while it loads, before it serves: a prune (by this or
// another process sharing the cache) never deletes it under the workers loading it.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { type Artifact, buildArtifact } from 'hotworker';
import { describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

/** Every bundle named by a lease in the cache directory. */
function leased(cacheDir: string): string[] {
  const dir = join(cacheDir, 'leases');
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .flatMap((name) => (JSON.parse(readFileSync(join(dir, name), 'utf8')) as { bundles: string[] }).bundles);
}

describe('the lease on an upgrade’s new bundle', () => {
  it('names the new bundle by the time the new version is verified, before the shift', async () => {
    const ws = workspace();
    const entry = ws.copy('versioned.ts');
    let loading: Artifact | undefined;
    const leasedAtVerify: string[][] = [];
    const mod = await ws.hot(entry, {
      threads: 1,
      standby: false,
      loadTimeout: 20_000,
      verify: async () => {
        if (loading === undefined) return;
        const name = basename(loading.file);
        await expect.poll(() => leased(ws.cacheDir), { timeout: 10_000 }).toContain(name);
        leasedAtVerify.push(leased(ws.cacheDir));
      },
    });
    // The first version's bundle: the same source builds to the same file.
    const first = basename((await buildArtifact(entry, ws.cacheDir)).file);
    expect(mod.version.id).toBe(1);
    ws.write('versioned.ts', ws.fixture('versioned.ts').replace('VERSION = 1', 'VERSION = 2'));
    loading = await buildArtifact(entry, ws.cacheDir);
    expect((await mod.upgrade({ artifact: loading })).id).toBe(2);
    // Both versions were leased while the new one loaded: the old one still served.
    expect(leasedAtVerify).toHaveLength(1);
    expect(new Set(leasedAtVerify[0])).toEqual(new Set([first, basename(loading.file)]));
  });
});
