import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type Workspace, workspace } from './support/workspace.js';

const holder = fileURLToPath(new URL('./fixtures/scripts/hold-history.mjs', import.meta.url));

/** Bundles in the cache, by hash. */
function bundles(cacheDir: string): string[] {
  return readdirSync(cacheDir)
    .map((name) => /-([0-9a-f]{16})\.mjs$/.exec(name)?.[1])
    .filter((hash): hash is string => hash !== undefined)
    .sort();
}

/** Backdates every file of the cache past the prune grace period, as if built long ago. */
function age(cacheDir: string): void {
  const past = new Date(Date.now() - 60 * 60_000);
  for (const name of readdirSync(cacheDir)) if (name.endsWith('.mjs')) utimesSync(join(cacheDir, name), past, past);
}

async function upgrades(ws: Workspace, count: number, from = 0) {
  const mod = await ws.hot(ws.write('mod.ts', 'export const version = () => 0;\n'), { threads: 1, keepVersions: 2 });
  const step = async (i: number) => {
    ws.write('mod.ts', `export const version = () => ${i};\n`);
    age(ws.cacheDir);
    await mod.upgrade();
  };
  for (let i = from + 1; i <= from + count; i++) await step(i);
  return { mod, step };
}

describe('cache pruning', () => {
  it('after many upgrades the cache holds only the versions in history', async () => {
    const ws = workspace();
    const { mod } = await upgrades(ws, 8);
    const history = mod.history.map((version) => version.hash).sort();
    expect(history).toHaveLength(2);
    await expect.poll(() => bundles(ws.cacheDir), { timeout: 10_000 }).toEqual(history);
    // Rollback still finds its bundle.
    expect(await mod.rollback()).toMatchObject({ hash: mod.history[0]?.hash });
  });

  it("another process's history survives this one's pruning, until that process dies", async () => {
    const ws = workspace();
    const child: ChildProcess = spawn(process.execPath, [holder, ws.dir, ws.cacheDir], { stdio: ['ignore', 'pipe', 'inherit'] });
    ws.defer(() => child.kill('SIGKILL'));
    const [line] = (await once(child.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
    const theirs = (JSON.parse(line.toString()) as { hashes: string[] }).hashes;
    expect(theirs).toHaveLength(3);

    const { mod, step } = await upgrades(ws, 4);
    const ours = () => mod.history.map((version) => version.hash);
    await expect.poll(() => bundles(ws.cacheDir), { timeout: 10_000 }).toEqual([...ours(), ...theirs].sort());

    child.kill('SIGKILL');
    await once(child, 'exit');
    await step(5);
    // A lease of a dead process is ignored, and removed.
    await expect.poll(() => bundles(ws.cacheDir), { timeout: 10_000 }).toEqual([...ours()].sort());
    expect(readdirSync(join(ws.cacheDir, 'leases')).filter((name) => name.includes(`-${child.pid}.`))).toEqual([]);
  });

  it('a closed module releases its lease', async () => {
    const ws = workspace();
    const { mod } = await upgrades(ws, 1);
    expect(readdirSync(join(ws.cacheDir, 'leases'))).toHaveLength(1);
    await mod.close();
    await expect
      .poll(() => existsSync(join(ws.cacheDir, 'leases', readdirSync(join(ws.cacheDir, 'leases'))[0] ?? 'none')), { timeout: 10_000 })
      .toBe(false);
  });
});
