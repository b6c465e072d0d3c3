/**
 * Headless Chromium for the status-page tests, driven by playwright-core with the system's own
 * browser (Debian package `chromium`): nothing is downloaded.
 *
 * Without a browser the tests are skipped with a line saying how to install one; with
 * `HOTWORKER_REQUIRE_SERVICES=1` (set by .ci/run) a missing browser fails the run instead
 * (the same rule as redis-server's, in services.ts).
 */
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { service } from './services.js';

/** Chromium, or why it is missing (see services.ts); CHROMIUM_PATH names another executable. */
export const browserService = service({
  name: 'headless Chromium',
  program: ['chromium', 'chromium-browser', 'google-chrome'],
  paths: process.env.CHROMIUM_PATH ? [process.env.CHROMIUM_PATH] : [],
  install: 'apt-get install -y chromium',
});

/** The browser executable, or undefined when none is installed. */
export const chromiumPath = browserService.path;

/** True when the browser tests must be skipped (says why once); throws when CI requires them. */
export function skipWithoutBrowser(): boolean {
  if (browserService.available) return false;
  browserService.missing();
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
