// Quickstart: load a module into a worker pool, call it from 4 concurrent loops, upgrade it
// twice while they run, and count the calls each version answered. None may fail.
//
// Run it with `npm start` (or `node examples/quickstart/main.js` after `npm run build`).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { hot } from 'hotworker';

const dir = mkdtempSync(join(tmpdir(), 'hotworker-quickstart-'));
const entry = join(dir, 'greeter.ts');
const original = readFileSync(new URL('./greeter.ts', import.meta.url), 'utf8');
writeFileSync(entry, original);

const greeter = await hot(entry, { threads: 2, cacheDir: join(dir, '.hotworker') });
const short = (version) => `v${version.id} (${version.hash.slice(0, 8)})`;
console.log(`loaded ${short(greeter.version)}, exports: ${greeter.version.exports.join(', ')}`);
greeter.on('upgrade', ({ from, to, switchMs, drainMs, drained }) => {
  console.log(`${short(from)} → ${short(to)} in ${switchMs.toFixed(0)} ms, drained ${drained} calls in ${drainMs.toFixed(0)} ms`);
});

const answered = new Map();
let failed = 0;
let running = true;
const loops = Array.from({ length: 4 }, async (_, loop) => {
  while (running) {
    try {
      const answer = await greeter.api.greet(`loop ${loop}`);
      const version = answer.slice(0, answer.indexOf(':'));
      answered.set(version, (answered.get(version) ?? 0) + 1);
    } catch (error) {
      failed++;
      console.error('call failed:', error);
    }
  }
});

for (const version of ['v2', 'v3']) {
  await sleep(300);
  writeFileSync(entry, original.replace("'v1'", `'${version}'`));
  await greeter.upgrade();
}
await sleep(300);
running = false;
await Promise.all(loops);
await greeter.close();
rmSync(dir, { recursive: true, force: true });

for (const [version, calls] of answered) console.log(`${version} answered ${calls} calls`);
console.log(`${[...answered.values()].reduce((a, b) => a + b, 0)} calls, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
