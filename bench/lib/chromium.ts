import { chromium, type Browser } from "playwright-core";

/** Debian's Chromium (scripts/setup.sh installs it); Playwright gives it a fresh profile. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    // Without the background-networking flags Chromium keeps dialling out (refused here).
    args: ["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}
