import type { Page } from "playwright-core";

// Reading the `--web` page of the daemon: its xterm.js (DOM renderer) and its
// connection-state label. Launching Chromium is @x/exec-test-kit/chromium.ts.

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

/** Every line of the terminal's buffer, scrollback included (through the page's xterm.js). */
export function bufferLines(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const buffer = (globalThis as any).execServerPage.term.buffer.active;
    const lines: string[] = [];
    for (let i = 0; i < buffer.length; i++) lines.push(buffer.getLine(i).translateToString(true));
    return lines;
  });
}
