// Who may use the status page: with an admin token the page shows nothing until the token is
// given (kept in the tab, sent as a header); a page of another origin can neither frame it nor
// drive its actions.
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { collectErrors, skipWithoutBrowser, useBrowser } from './support/browser.js';
import { startServe } from './support/serve.js';
import { workspace } from './support/workspace.js';

const TOKEN = 'correct-horse-battery-staple';
const SHOWS_WITHIN_MS = 10_000;

describe.skipIf(skipWithoutBrowser())('status page access', () => {
  const { browser } = useBrowser();

  async function serve(extra: string[] = []) {
    const ws = workspace();
    ws.copy('serve-counter.ts', 'counter.ts');
    const server = await startServe(['counter.ts', '--threads', '1', ...extra], { cwd: ws.dir });
    ws.defer(() => server.stop('SIGKILL'));
    const page = await browser().newPage();
    ws.defer(() => page.close());
    return { ws, server, page };
  }

  it('with a token, shows nothing until the token is given, then keeps it for the tab only', async () => {
    const { server, page } = await serve(['--admin-token', TOKEN]);
    const errors = collectErrors(page);
    await page.goto(`${server.url}/_hot/`);
    await page.locator('#login').waitFor({ state: 'visible', timeout: SHOWS_WITHIN_MS });
    await expect(page.locator('#dashboard').isHidden()).resolves.toBe(true);
    const unauthenticated = await fetch(`${server.url}/_hot/events`);
    expect(unauthenticated.status).toBe(401);
    await unauthenticated.body?.cancel();

    await page.locator('#token').fill(TOKEN);
    await page.locator('#token').press('Enter');
    await page.locator('#serving-version', { hasText: /^v1$/ }).waitFor({ timeout: SHOWS_WITHIN_MS });
    expect(page.url()).not.toContain(TOKEN);
    await expect(
      page.evaluate(() =>
        (globalThis as unknown as { sessionStorage: { getItem(key: string): string | null } }).sessionStorage.getItem(
          'hotworker.adminToken',
        ),
      ),
    ).resolves.toBe(TOKEN);
    expect(errors).toEqual([]);

    // A new tab starts signed out.
    const other = await browser().newPage();
    try {
      await other.goto(`${server.url}/_hot/`);
      await other.locator('#login').waitFor({ state: 'visible', timeout: SHOWS_WITHIN_MS });
    } finally {
      await other.close();
    }
  });

  it('asks again when the token is wrong', async () => {
    const { server, page } = await serve(['--admin-token', TOKEN]);
    await page.goto(`${server.url}/_hot/`);
    await page.locator('#token').fill('not-the-token-at-all');
    await page.locator('#token').press('Enter');
    await page.locator('#login-error', { hasText: 'refused' }).waitFor({ timeout: SHOWS_WITHIN_MS });
    await expect(page.locator('#dashboard').isHidden()).resolves.toBe(true);
  });

  it('cannot be framed or driven by a page of another origin', async () => {
    const { ws, server, page } = await serve();
    // The attacker's page, on another port of the same machine: another origin.
    const target = server.url;
    const attacker = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end(`<!doctype html><iframe id="framed" src="${target}/_hot/"></iframe>
<script>
  fetch('${target}/_hot/upgrade', { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: '{"restart":true}' })
    .finally(() => { document.title = 'sent'; });
</script>`);
    });
    attacker.listen(0, '127.0.0.1');
    await once(attacker, 'listening');
    ws.defer(() => new Promise((resolve) => attacker.close(resolve)));
    await page.goto(`http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`);
    await page.waitForFunction("document.title === 'sent'", undefined, { timeout: SHOWS_WITHIN_MS });

    const frame = page.frames().find((candidate) => candidate !== page.mainFrame());
    // frame-ancestors 'none': the browser shows an error page in place of the status page.
    expect(await frame?.locator('#upgrade-button').count()).toBe(0);
    const status = (await (await fetch(`${server.url}/_hot/status`)).json()) as { version: { id: number }; upgrades: { done: number } };
    expect(status.upgrades.done).toBe(0);
    expect(status.version.id).toBe(1);
  });
});
