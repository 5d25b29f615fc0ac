import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";

/** Debian's Chromium (`apt-get install chromium`, see scripts/setup.sh): nothing is downloaded. */
export const CHROMIUM = "/usr/bin/chromium";
/** Screenshots for a person to look at (ignored by git). */
export const TEST_OUTPUT = join(import.meta.dir, "..", "..", "..", "..", "test-output");

// Without the background-networking flags Chromium keeps dialling Google's
// hosts, which this machine's closed network refuses.
const FLAGS = [
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface TestBrowser extends AsyncDisposable {
  readonly browser: Browser;
  /** A page in a fresh context (its own sessionStorage, like a new window). */
  newPage(): Promise<Page>;
}

/** Headless Chromium; Playwright gives it a fresh temporary profile (--user-data-dir). */
export async function launchBrowser(): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/setup.sh (apt-get install chromium)`);
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
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

/** The terminal's rows as text (DOM renderer: one element per row, NBSP for blanks). */
export function screenRows(page: Page): Promise<string[]> {
  return page.$$eval(".xterm-rows > div", (rows) =>
    rows.map((row) => (row.textContent ?? "").replace(/\u00a0/g, " ").trimEnd()),
  );
}

/** Polls the rows until `predicate` holds; throws with the last screen after `timeoutMs`. */
export async function waitForScreen(
  page: Page,
  predicate: (rows: string[]) => boolean,
  timeoutMs = 10_000,
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let rows: string[] = [];
  while (Date.now() < deadline) {
    rows = await screenRows(page);
    if (predicate(rows)) return rows;
    await Bun.sleep(50);
  }
  throw new Error(`screen did not match within ${timeoutMs} ms:\n${rows.join("\n")}`);
}

/** The page's connection-state label. */
export async function waitForState(page: Page, state: string, timeoutMs = 10_000): Promise<void> {
  await page.waitForSelector(`#state[data-state="${state}"]`, { timeout: timeoutMs });
}

export function screenshotPath(name: string): string {
  mkdirSync(TEST_OUTPUT, { recursive: true });
  return join(TEST_OUTPUT, name);
}

/** Every line of the terminal's buffer, scrollback included (through the page's xterm.js). */
export function bufferLines(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const buffer = (globalThis as any).execServerPage.term.buffer.active;
    const lines: string[] = [];
    for (let i = 0; i < buffer.length; i++) lines.push(buffer.getLine(i).translateToString(true));
    return lines;
  });
}
