// Watch mode, through the clock example: edit, save, and the next answer comes from the new
// version; a broken save is logged with its file:line and the old version keeps serving.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Answer, call, eventually, type ServeProcess, startServe } from './support/serve.js';
import { workspace } from './support/workspace.js';

const clockSource = readFileSync(new URL('../examples/clock/clock.ts', import.meta.url), 'utf8');
/** The README's walkthrough edit: ISO text becomes a friendly format. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: TypeScript source written to the module file
const friendly = "return `Current time: ${new Date().toISOString().replace('T', ' ').slice(0, 19)}`;";
const transition = (from: number, to: number) =>
  new RegExp(`^\\S+Z v${from} \\(\\w{8}\\) → v${to} \\(\\w{8}\\) in [\\d.]+ m?s, drained \\d+ calls?$`);

async function serveClock(): Promise<{ dir: string; entry: string; server: ServeProcess }> {
  const ws = workspace();
  const entry = ws.write('clock.ts', clockSource);
  const server = await startServe(['clock.ts', '--watch', '--threads', '1'], { cwd: ws.dir });
  ws.defer(() => server.stop('SIGKILL'));
  return { dir: ws.dir, entry, server };
}

/** Calls now() until the answer satisfies `done`. */
function nowUntil(server: ServeProcess, done: (answer: Answer) => boolean, what: string): Promise<Answer> {
  return eventually(async () => {
    const answer = await call(server.url, 'now');
    return done(answer) ? answer : undefined;
  }, what);
}

describe('serve --watch', () => {
  it("uses the README's walkthrough edit", () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(friendly);
    expect(clockSource).toContain('return new Date().toISOString();');
  });

  it('walks through the clock example: edit now(), save, get the new answer from a new version', async () => {
    const { entry, server } = await serveClock();
    const before = await call(server.url, 'now');
    expect(before.status).toBe(200);
    expect(before.body).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(before.version).toMatch(/^1-\w{8}$/);

    writeFileSync(entry, clockSource.replace('return new Date().toISOString();', friendly));
    const after = await nowUntil(server, (answer) => answer.version !== before.version, 'the new version');
    expect(after.body).toMatch(/^Current time: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(after.version).toMatch(/^2-\w{8}$/);
    await server.waitFor(transition(1, 2));
  });

  it('watches imported files too, and follows the imports of each new version', async () => {
    const { dir, entry, server } = await serveClock();
    writeFileSync(join(dir, 'format.ts'), "export const prefix = 'A';\n");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: TypeScript source written to the module file
    writeFileSync(entry, "import { prefix } from './format.ts';\nexport function now(): string {\n  return `${prefix} now`;\n}\n");
    await nowUntil(server, (answer) => answer.body === 'A now', 'the version that imports format.ts');
    writeFileSync(join(dir, 'format.ts'), "export const prefix = 'B';\n");
    const answer = await nowUntil(server, (candidate) => candidate.body === 'B now', 'the change in format.ts');
    expect(answer.version).toMatch(/^3-/);
    await server.waitFor(/^\S+Z changed: format\.ts$/);
  });

  it('logs a failed build or load with file:line and keeps the old version serving', async () => {
    const { entry, server } = await serveClock();
    const { version } = await call(server.url, 'now');
    writeFileSync(entry, 'export function now(): string {\n  return new Date(;\n}\n');
    const buildLine = await server.waitFor(/upgrade \(watch\) failed/);
    expect(buildLine).toMatch(/^\S+Z error: upgrade \(watch\) failed, v1 \(\w{8}\) keeps serving: ERR_HOT_BUILD: .*clock\.ts:2:\d+: /);
    expect((await call(server.url, 'now')).version).toBe(version);

    const from = server.lines.length;
    writeFileSync(entry, "export function now(): string {\n  return 'never';\n}\nthrow new Error('broken at load');\n");
    const loadLine = await server.waitFor(/upgrade \(watch\) failed/, { from });
    expect(loadLine).toMatch(/ERR_HOT_LOAD at clock\.ts:4:\d+: .*broken at load/);
    expect((await call(server.url, 'now')).version).toBe(version);

    writeFileSync(entry, "export function now(): string {\n  return 'fixed';\n}\n");
    const fixed = await nowUntil(server, (answer) => answer.body === 'fixed', 'the fixed version');
    expect(fixed.version).toMatch(/^2-/);
  });

  it('serves the last save of a burst, and leaves nothing of the burst to replay', async () => {
    // How many upgrades a burst makes depends on the debounce and on how the machine schedules
    // this process (test/serve-watcher.test.ts pins that down with fake timers); what is true on
    // any machine is checked here: the last save wins, and the burst leaves nothing pending.
    const { dir, entry, server } = await serveClock();
    // Saved as editors do (a new file renamed over the old), so no build reads a half-written file.
    const save = (text: string) => {
      writeFileSync(join(dir, '.clock.ts.tmp'), `export function now(): string {\n  return '${text}';\n}\n`);
      renameSync(join(dir, '.clock.ts.tmp'), entry);
    };
    for (let i = 1; i <= 20; i++) save(`save ${i}`);
    const last = await nowUntil(server, (candidate) => candidate.body === 'save 20', 'the last save');
    // One more save makes exactly one more version: the burst left no batch behind to replay
    // (a batch pending now would upgrade to 'after' first, or find it unchanged afterwards).
    save('after');
    const after = await nowUntil(server, (candidate) => candidate.body === 'after', 'the save after the burst');
    expect(versionNumber(after.version)).toBe(versionNumber(last.version) + 1);
    expect(server.lines.filter((line) => /upgrade \(watch\) failed/.test(line))).toEqual([]);
  });
});

/** 3 from a version header `3-1a2b3c4d`. */
function versionNumber(version: string | null): number {
  return Number(/^(\d+)-\w{8}$/.exec(version ?? '')?.[1]);
}
