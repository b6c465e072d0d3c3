/**
 * What `Generation.start()` (dist/src/generation.js) takes, for tests that drive a generation
 * directly: a fixture built into the workspace's cache, one-thread settings, and its version.
 */
import { type Artifact, buildArtifact } from 'hotworker';
import type { Workspace } from './workspace.js';

/** One thread, no queue limit, no call timeout, no batches of waiting calls, crashes and re-sends ignored. */
export const ONE_THREAD = {
  minThreads: 1,
  maxThreads: 1,
  maxQueue: Number.POSITIVE_INFINITY,
  loadTimeout: 10_000,
  callTimeout: Number.POSITIVE_INFINITY,
  resourceLimits: undefined,
  atomics: 'async' as const,
  coalesce: false,
  onCrash: () => {},
  onResend: () => {},
  onCoalesced: () => {},
};

/** Builds `fixture` (a file of test/fixtures) and gives the artifact with version 1 of it, not loaded yet. */
export async function firstVersion(ws: Workspace, fixture: string) {
  const artifact: Artifact = await buildArtifact(ws.copy(fixture), ws.cacheDir);
  const version = {
    id: 1,
    hash: artifact.hash,
    entry: artifact.entry,
    exports: artifact.exports,
    inputs: artifact.inputs,
    functions: [],
    createdAt: new Date(),
  };
  return { artifact, version };
}
