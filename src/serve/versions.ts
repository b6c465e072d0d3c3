/**
 * How a version is named to people (log lines) and to machines (header, metric labels).
 */
import type { VersionInfo } from '../index.js';

/** `v3 (a1b2c3d4)`: how a version reads in a human log line. */
export function versionName(version: VersionInfo): string {
  return `v${version.id} (${version.hash.slice(0, 8)})`;
}

/** `3-a1b2c3d4`: the version as the `hotworker-version` header and metric labels carry it. */
export function versionLabel(version: VersionInfo): string {
  // Every answer carries its version's label: made once per version, not per request.
  let label = labels.get(version);
  if (label === undefined) {
    label = `${version.id}-${version.hash.slice(0, 8)}`;
    labels.set(version, label);
  }
  return label;
}

const labels = new WeakMap<VersionInfo, string>();

/** The version as JSON answers (status, admin) show it. */
export function versionJson(version: VersionInfo): {
  id: number;
  hash: string;
  label: string;
  exports: readonly string[];
  functions: readonly string[];
  createdAt: string;
} {
  return {
    id: version.id,
    hash: version.hash,
    label: versionLabel(version),
    exports: version.exports,
    functions: version.functions,
    createdAt: version.createdAt.toISOString(),
  };
}
