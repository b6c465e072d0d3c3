// Takes the README's picture of the status page: the clock example served with --watch under
// steady load, edited twice (two live upgrades), photographed in headless Chromium while the
// load goes on. Needs a browser: `apt-get install -y chromium` (or set CHROMIUM_PATH).
//
//   npm run build && node examples/status-page/screenshot.js [out.png]
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const out = process.argv[2] ?? fileURLToPath(new URL('./status-page.png', import.meta.url));
const cli = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
const executablePath = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => p && existsSync(p));
if (executablePath === undefined) throw new Error('no Chromium found: apt-get install -y chromium, or set CHROMIUM_PATH');

const dir = mkdtempSync(join(tmpdir(), 'hotworker-shot-'));
const entry = join(dir, 'clock.ts');
copyFileSync(new URL('../clock/clock.ts', import.meta.url), entry);

const server = spawn(process.execPath, [cli, 'serve', 'clock.ts', '--watch', '--port', '0'], {
  cwd: dir,
  stdio: ['ignore', 'pipe', 'inherit'],
});
const url = await new Promise((resolve, reject) => {
  let text = '';
  server.stdout.setEncoding('utf8').on('data', (chunk) => {
    process.stdout.write(chunk);
    text += chunk;
    const found = /listening on (http:\/\/\S+)/.exec(text);
    if (found) resolve(found[1]);
  });
  server.once('exit', () => reject(new Error('hotworker serve exited')));
});

// Steady load: 8 callers in a loop until the picture is taken.
let loading = true;
const callers = Array.from({ length: 8 }, async () => {
  while (loading)
    await fetch(`${url}/call/now`, { method: 'POST' }).then(
      (r) => r.arrayBuffer(),
      () => undefined,
    );
});

const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 980 }, deviceScaleFactor: 1 });
  await page.goto(`${url}/_hot/`);
  await page.locator('#serving-version', { hasText: /^v1$/ }).waitFor();
  const edit = (text) => writeFileSync(entry, readFileSync(entry, 'utf8').replace(/return .*;/, `return ${text};`));
  await page.waitForTimeout(8_000);
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the text written into the module is a template literal
  edit("`Current time: ${new Date().toISOString().replace('T', ' ').slice(0, 19)}`");
  await page.locator('#serving-version', { hasText: /^v2$/ }).waitFor();
  await page.waitForTimeout(8_000);
  edit('new Date().toUTCString()');
  await page.locator('#serving-version', { hasText: /^v3$/ }).waitFor();
  await page.waitForTimeout(4_000);
  await page.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${out}`);
} finally {
  loading = false;
  await Promise.all(callers);
  await browser.close();
  server.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
