/**
 * Headless Chromium for the status-page tests, driven by playwright-core with the system's own
 * browser (Debian package `chromium`): nothing is downloaded.
 *
 * Without a browser the tests are skipped with a line saying how to install one; with
 * `HOTWORKER_REQUIRE_SERVICES=1` (set by .ci/run) a missing browser fails the run instead.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** The browser executable, or undefined when none is installed. */
export const chromiumPath = CANDIDATES.find((path): path is string => path !== undefined && path !== '' && existsSync(path));

const INSTALL_HINT =
  'headless Chromium is not installed: `apt-get install -y chromium` (or set CHROMIUM_PATH) to run the status-page tests';

/** True when the browser tests must be skipped; prints why once. Throws when CI requires them. */
export function skipWithoutBrowser(): boolean {
  if (chromiumPath !== undefined) return false;
  if (process.env.HOTWORKER_REQUIRE_SERVICES === '1') {
    throw new Error(`HOTWORKER_REQUIRE_SERVICES=1 but ${INSTALL_HINT}`);
  }
  process.stderr.write(`skipping: ${INSTALL_HINT}\n`);
  return true;
}

/** Launches one browser for the file (closed after it); each test opens its own pages. */
export function useBrowser(): { readonly browser: () => Browser } {
  let browser: Browser | undefined;
  beforeAll(async () => {
    if (chromiumPath === undefined) return;
    // Root in a container has no user namespace for Chromium's sandbox.
    browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
  });
  return {
    browser: () => {
      if (browser === undefined) throw new Error('the browser did not start');
      return browser;
    },
  };
}

/** Every console error and uncaught page error, collected for an assertion at the end. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  return errors;
}
