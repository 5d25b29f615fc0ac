import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";

/** Debian's Chromium (`apt-get install chromium`, see scripts/setup.sh): nothing is downloaded. */
export const CHROMIUM = "/usr/bin/chromium";
/** Screenshots for a person to look at (ignored by git). */
export const TEST_OUTPUT = join(import.meta.dir, "..", "..", "..", "test-output");

// Without the background-networking flags Chromium keeps dialling Google's
// hosts, which this machine's closed network refuses.
export const CHROMIUM_FLAGS: readonly string[] = [
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Headless Chromium; Playwright gives it a fresh temporary profile (--user-data-dir). */
export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    return Promise.reject(new Error(`${CHROMIUM} is missing: run scripts/setup.sh (apt-get install chromium)`));
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_FLAGS] });
}

export interface TestBrowser extends AsyncDisposable {
  readonly browser: Browser;
  /** A page in a fresh context (its own sessionStorage, like a new window). */
  newPage(): Promise<Page>;
}

/** `launchChromium` for a test: pages of a fixed size, closed by `await using`. */
export async function launchBrowser(): Promise<TestBrowser> {
  const browser = await launchChromium();
  return {
    browser,
    async newPage() {
      const context = await browser.newContext({ viewport: { width: 900, height: 500 } });
      return context.newPage();
    },
    async [Symbol.asyncDispose]() {
      await browser.close().catch(() => {});
    },
  };
}

export function screenshotPath(name: string): string {
  mkdirSync(TEST_OUTPUT, { recursive: true });
  return join(TEST_OUTPUT, name);
}
