// A version from a bundle's bytes (as fleet nodes get them from Redis): the same hash as the
// build that made it, run byte for byte by hot() and by upgrade({ artifact }).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { artifactFromBundle, buildArtifact, HotError } from 'hotworker';
import { describe, expect, it } from 'vitest';
import { workspace } from './support/workspace.js';

describe('artifactFromBundle', () => {
  it('keeps the bytes and the hash of the build, and reads the exports', async () => {
    const ws = workspace();
    const built = await buildArtifact(ws.copy('versioned.ts'), ws.cacheDir);
    const bytes = readFileSync(built.file);
    const elsewhere = join(ws.dir, 'node-cache');
    const artifact = await artifactFromBundle(bytes, elsewhere, 'versioned');
    expect(artifact).toMatchObject({ hash: built.hash, size: built.size, exports: built.exports });
    expect(artifact.file.startsWith(elsewhere)).toBe(true);
    expect(readFileSync(artifact.file).equals(bytes)).toBe(true);
  });

  it('runs with hot() and upgrade({ artifact }) without rebuilding', async () => {
    const ws = workspace();
    const entry = ws.copy('versioned.ts');
    const one = await artifactFromBundle(readFileSync((await buildArtifact(entry, ws.cacheDir)).file), join(ws.dir, 'a'));
    ws.write('versioned.ts', ws.fixture('versioned.ts').replace('VERSION = 1', 'VERSION = 2'));
    const two = await artifactFromBundle(readFileSync((await buildArtifact(entry, ws.cacheDir)).file), join(ws.dir, 'a'));
    const mod = await ws.hot<typeof import('./fixtures/versioned.ts')>(one as never, { threads: 1 });
    expect(mod.version.hash).toBe(one.hash);
    expect(await mod.api.version()).toBe(1);
    // The entry on disk says 3; the artifact (2) is what runs.
    ws.write('versioned.ts', ws.fixture('versioned.ts').replace('VERSION = 1', 'VERSION = 3'));
    expect(await mod.upgrade({ artifact: two })).toMatchObject({ hash: two.hash, entry: two.file });
    expect(await mod.api.version()).toBe(2);
    expect(await mod.upgrade({ artifact: one })).toMatchObject({ hash: one.hash });
    expect(await mod.api.version()).toBe(1);
  });

  it('refuses what is not an artifact, and bytes that are not a module', async () => {
    const ws = workspace();
    const mod = await ws.hot(ws.copy('versioned.ts'), { threads: 1 });
    await expect(mod.upgrade({ artifact: { hash: 'x' } as never })).rejects.toMatchObject({ code: 'ERR_HOT_INVALID_OPTION' });
    const error = await artifactFromBundle(Buffer.from('export const = ;'), ws.cacheDir).catch((caught: unknown) => caught);
    expect(HotError.is(error, 'ERR_HOT_BUILD')).toBe(true);
  });
});
