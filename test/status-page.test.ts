// The status page at /_hot/ in a real headless Chromium: it shows the serving version and
// follows upgrades (watch mode and admin API) and a rollback made with its own button, live,
// without a reload and without console errors; it reconnects when the server restarts.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectErrors, skipWithoutBrowser, useBrowser } from './support/browser.js';
import { call, startServe } from './support/serve.js';
import { workspace } from './support/workspace.js';

/** Where the test leaves its screenshot (the README's picture is made by examples/status-page). */
const SCREENSHOT = process.env.HOTWORKER_SCREENSHOT ?? join(tmpdir(), 'hotworker-status-page.png');
/** Long enough for a loaded 2-core CI machine; the page itself updates within a second of the event. */
const SHOWS_WITHIN_MS = 10_000;

describe.skipIf(skipWithoutBrowser())('status page in a browser', () => {
  const { browser } = useBrowser();

  async function serveCounter(extra: string[] = []) {
    const ws = workspace();
    const entry = ws.copy('serve-counter.ts', 'counter.ts');
    const server = await startServe(['counter.ts', '--threads', '1', ...extra], { cwd: ws.dir });
    ws.defer(() => server.stop('SIGKILL'));
    const mark = (value: string) => writeFileSync(entry, readFileSync(entry, 'utf8').replace(/MARK = '\w+'/, `MARK = '${value}'`));
    const page = await browser().newPage();
    ws.defer(() => page.close());
    return { ws, server, mark, page, errors: collectErrors(page) };
  }

  it('shows the serving version and follows watch and admin upgrades and its own Rollback, live', async () => {
    const { server, mark, page, errors } = await serveCounter(['--watch']);
    await page.goto(`${server.url}/_hot/`);
    const version = page.locator('#serving-version');
    await page.locator('#serving-version', { hasText: /^v1$/ }).waitFor({ timeout: SHOWS_WITHIN_MS });
    await expect(page.locator('#serving-exports').textContent()).resolves.toContain('mark');
    await expect(page.locator('#connection').textContent()).resolves.toBe('live');
    // Standby threads (booted for the next upgrade) are shown apart from serving ones.
    await page.locator('#standby', { hasText: /^1$/ }).waitFor({ timeout: SHOWS_WITHIN_MS });
    await expect(page.locator('#threads').textContent()).resolves.toBe('1');
    // A marker that a reload would wipe out.
    await page.evaluate(() => Object.assign(globalThis, { notReloaded: true }));

    for (let i = 0; i < 20; i++) expect((await call(server.url, 'mark')).body).toBe('one');
    mark('two');
    await server.waitFor(/ v1 \(\w{8}\) → v2 \(\w{8}\)/);
    await page.locator('#serving-version', { hasText: /^v2$/ }).waitFor({ timeout: SHOWS_WITHIN_MS });
    await page.locator('#activity tr[data-kind="upgrade"]', { hasText: '(watch)' }).waitFor({ timeout: SHOWS_WITHIN_MS });

    const upgraded = await fetch(`${server.url}/_hot/upgrade`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"restart":true}',
    });
    expect(upgraded.status).toBe(200);
    await page.locator('#serving-version', { hasText: /^v3$/ }).waitFor({ timeout: SHOWS_WITHIN_MS });
    await page.locator('#activity tr[data-kind="upgrade"]', { hasText: '(admin)' }).waitFor({ timeout: SHOWS_WITHIN_MS });
    await expect(page.locator('#history li').count()).resolves.toBe(3);

    // The calls made earlier show in the traffic charts.
    await page.locator('#charts figure').first().waitFor({ timeout: SHOWS_WITHIN_MS });

    await page.locator('#rollback-button').click();
    await expect(page.locator('#confirm-text').textContent()).resolves.toContain('v2');
    await page.locator('#confirm-ok').click();
    await page.locator('#action-result', { hasText: 'Rolled back: v3 → v2' }).waitFor({ timeout: SHOWS_WITHIN_MS });
    await expect(version.textContent()).resolves.toBe('v2');
    await page.locator('#activity tr[data-kind="rollback"]').waitFor({ timeout: SHOWS_WITHIN_MS });
    expect((await call(server.url, 'mark')).version).toMatch(/^2-/);

    await expect(page.evaluate(() => (globalThis as { notReloaded?: boolean }).notReloaded)).resolves.toBe(true);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(10_000);
    expect(errors).toEqual([]);
  });

  it('asks before acting, does nothing when cancelled, and refuses to fire twice', async () => {
    const { server, page, errors } = await serveCounter();
    await page.goto(`${server.url}/_hot/`);
    await page.locator('#serving-version', { hasText: /^v1$/ }).waitFor({ timeout: SHOWS_WITHIN_MS });

    await page.locator('#opt-restart').check();
    await page.locator('#upgrade-button').click();
    await page.locator('#confirm-cancel').click();
    const status = async () => (await (await fetch(`${server.url}/_hot/status`)).json()) as { upgrades: { done: number } };
    expect((await status()).upgrades.done).toBe(0);

    await page.locator('#upgrade-button').click();
    // While the dialog is open and the upgrade runs, both buttons are disabled.
    await expect(page.locator('#rollback-button').isDisabled()).resolves.toBe(true);
    await page.keyboard.press('Tab');
    await page.locator('#confirm-ok').click();
    await page.locator('#action-result', { hasText: 'Upgraded: v1 → v2' }).waitFor({ timeout: SHOWS_WITHIN_MS });
    await expect(page.locator('#upgrade-button').isDisabled()).resolves.toBe(false);
    expect((await status()).upgrades.done).toBe(1);
    expect(errors).toEqual([]);
  });

  it('shows a failed upgrade with its code while the old version keeps serving', async () => {
    const { ws, server, page } = await serveCounter();
    await page.goto(`${server.url}/_hot/`);
    await page.locator('#serving-version', { hasText: /^v1$/ }).waitFor({ timeout: SHOWS_WITHIN_MS });
    ws.write('counter.ts', 'export function mark( {');
    await page.locator('#upgrade-button').click();
    await page.locator('#confirm-ok').click();
    await page.locator('#action-result', { hasText: 'ERR_HOT_BUILD' }).waitFor({ timeout: SHOWS_WITHIN_MS });
    await expect(page.locator('#action-result').textContent()).resolves.toContain('The serving version was not changed');
    await page
      .locator('#activity tr[data-kind="upgrade-failed"]', { hasText: /1-\w{8} keeps serving/ })
      .waitFor({ timeout: SHOWS_WITHIN_MS });
    await expect(page.locator('#serving-version').textContent()).resolves.toBe('v1');
  });

  it('shows a canary upgrade step by step, and the rollout it ended with', async () => {
    const { server, mark, page, errors } = await serveCounter();
    await page.goto(`${server.url}/_hot/`);
    await page.locator('#serving-version', { hasText: /^v1$/ }).waitFor({ timeout: SHOWS_WITHIN_MS });
    mark('two');
    let calling = true;
    const caller = (async () => {
      while (calling) await call(server.url, 'mark');
    })();
    try {
      const upgraded = await fetch(`${server.url}/_hot/upgrade`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ canary: { steps: [50, 100], minCalls: 10, maxLatencyRatio: 1000 } }),
      });
      expect(upgraded.status).toBe(200);
    } finally {
      calling = false;
      await caller;
    }
    await page.locator('#activity tr[data-kind="canary"]', { hasText: 'step 1/2 (50 %) passed' }).waitFor({ timeout: SHOWS_WITHIN_MS });
    await page.locator('#activity tr[data-kind="canary"]', { hasText: 'step 2/2 (100 %) passed' }).waitFor({ timeout: SHOWS_WITHIN_MS });
    await page.locator('#canary-title', { hasText: 'Last canary' }).waitFor({ timeout: SHOWS_WITHIN_MS });
    await expect(page.locator('#canary-body').textContent()).resolves.toMatch(/step 1 \(50 %\) passed: \d+ calls, 0 errors/);
    await page.locator('#serving-version', { hasText: /^v2$/ }).waitFor({ timeout: SHOWS_WITHIN_MS });
    expect(errors).toEqual([]);
  });

  it('reconnects by itself when the server restarts', async () => {
    const { ws, server, page } = await serveCounter();
    await page.goto(`${server.url}/_hot/`);
    await page.locator('#connection', { hasText: 'live' }).waitFor({ timeout: SHOWS_WITHIN_MS });
    const port = new URL(server.url).port;
    const stopped = await server.stop('SIGTERM');
    expect(stopped.code).toBe(0);
    await page.locator('#connection', { hasText: 'reconnecting' }).waitFor({ timeout: SHOWS_WITHIN_MS });

    const next = await startServe(['counter.ts', '--threads', '1', '--port', port], { cwd: ws.dir });
    ws.defer(() => next.stop('SIGKILL'));
    await page.locator('#connection', { hasText: 'live' }).waitFor({ timeout: SHOWS_WITHIN_MS });
    const pid = ((await (await fetch(`${next.url}/_hot/status`)).json()) as { pid: number }).pid;
    expect(pid).toBe(next.child.pid);
  });
});
