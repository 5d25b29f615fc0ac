import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { ExecServerClient, type ProcessHandle } from "@x/exec-client";
import { startTcpProxy, type TcpProxy } from "../../client/test/support/tcp-proxy.ts";
import { buildPage, ExecServer, listenWebSocket, webCommand, type WebPage, type WebSocketListener } from "../src/index.ts";
import { launchBrowser, screenshotPath, type TestBrowser } from "@x/exec-test-kit/chromium.ts";
import { bufferLines, screenRows, waitForScreen, waitForState } from "./support/browser.ts";

// One daemon in this process serving the page; the page is loaded through a
// TCP proxy so a test can cut its websocket the way a network does.
const server = new ExecServer({ detachedSessionTtlMs: 10_000 });
let home: string;
let page: WebPage;
let listener: WebSocketListener;
let proxy: TcpProxy;
let browser: TestBrowser;
let pageUrl: string;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), "exec-server-web-home-"));
  page = {
    bundle: await buildPage(),
    command: webCommand("PS1='$ ' exec bash --norc --noprofile", { HOME: home, PATH: process.env.PATH, LANG: "C.UTF-8" }),
  };
  listener = listenWebSocket(server, { hostname: "127.0.0.1", port: 0, allowedOrigins: [], page });
  proxy = startTcpProxy({ hostname: "127.0.0.1", port: listener.port });
  pageUrl = proxy.url.replace(/^ws:/, "http:") + "/";
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.[Symbol.asyncDispose]();
  proxy?.stop();
  await listener?.stop();
  await server.shutdown();
  rmSync(home, { recursive: true, force: true });
});

const count = (rows: string[], line: string) => rows.filter((row) => row === line).length;

/** Each of tick-1..tick-N exactly once, in order, in the whole buffer. */
async function expectTicksOnce(tab: Page, label: string, n: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  let ticks: string[] = [];
  while (Date.now() < deadline) {
    ticks = (await bufferLines(tab)).filter((line) => line.startsWith(`${label}-`));
    if (ticks.includes(`${label}-${n}`)) break;
    await Bun.sleep(50);
  }
  expect(ticks).toEqual(Array.from({ length: n }, (_, i) => `${label}-${i + 1}`));
}

const ticking = (label: string, n: number) => `for i in $(seq 1 ${n}); do echo ${label}-$i; sleep 0.02; done`;

async function typeLine(tab: Page, line: string): Promise<void> {
  await tab.click(".xterm");
  await tab.keyboard.type(line);
  await tab.keyboard.press("Enter");
}

/** A bash in a terminal, started by an SDK client as an agent would, once its prompt is up. */
async function startAgentShell(client: ExecServerClient, size: { cols?: number; rows?: number }): Promise<ProcessHandle> {
  const shell = await client.start({
    argv: ["bash", "--norc", "--noprofile"],
    env: { HOME: home, PATH: process.env.PATH!, PS1: "agent$ ", TERM: "xterm-256color" },
    cwd: home,
    tty: true,
    ...size,
  });
  await shell.wait({ timeoutMs: 5000, afterSeq: 0, until: { pattern: "agent\\$ " } });
  return shell;
}

describe("the web terminal (Chromium)", () => {
  let tab: Page;

  test("types `echo hi` and Enter, and the rows show the echo", async () => {
    tab = await browser.newPage();
    await tab.goto(pageUrl);
    await waitForState(tab, "open");
    await waitForScreen(tab, (rows) => rows[0] === "$");
    await typeLine(tab, "echo hi");
    const rows = await waitForScreen(tab, (rows) => rows.includes("hi"));
    expect(rows.slice(0, 3)).toEqual(["$ echo hi", "hi", "$"]);
    await typeLine(tab, "printf '\\033[1;32mgreen\\033[0m and plain\\n'; stty size");
    const shown = await waitForScreen(tab, (rows) => rows[rows.indexOf("green and plain") + 2] === "$");
    // The PTY follows the page's size (fit to the window).
    const size = await tab.evaluate(() => {
      const { term } = (globalThis as any).execServerPage;
      return `${term.rows} ${term.cols}`;
    });
    expect(shown[shown.indexOf("green and plain") + 1]).toBe(size);
    await tab.screenshot({ path: screenshotPath("web-terminal.png") });
  });

  test("paste goes to the shell; Ctrl-Shift-C copies the selection to the clipboard", async () => {
    await tab.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: new URL(pageUrl).origin });
    // What the browser does on a paste (Ctrl-V, Ctrl-Shift-V or the menu): a paste event on xterm's textarea.
    await tab.evaluate(() => {
      const page = globalThis as any; // browser globals, which Bun's types do not declare
      const data = new page.DataTransfer();
      data.setData("text/plain", "echo pasted-$((5*5))");
      const textarea = page.document.querySelector(".xterm-helper-textarea");
      textarea.dispatchEvent(new page.ClipboardEvent("paste", { clipboardData: data }));
    });
    await tab.keyboard.press("Enter");
    await waitForScreen(tab, (rows) => rows.includes("pasted-25"));
    await tab.evaluate(() => (globalThis as any).execServerPage.term.select(0, 1, 2)); // "hi" on row 2
    await tab.keyboard.press("Control+Shift+KeyC");
    expect(await tab.evaluate(() => (globalThis as any).navigator.clipboard.readText())).toBe("hi");
    // Ctrl-Shift-C sent nothing to the program; plain Ctrl-C still interrupts it.
    await typeLine(tab, `sh -c 'trap "echo got-INT; exit 9" INT; echo trap-set; while :; do sleep 0.1; done'`);
    await waitForScreen(tab, (rows) => rows.includes("trap-set"));
    await tab.keyboard.press("Control+KeyC");
    await waitForScreen(tab, (rows) => rows.some((row) => row.endsWith("got-INT")));
    await typeLine(tab, "echo status-$?");
    await waitForScreen(tab, (rows) => rows.includes("status-9"));
  });

  test("a websocket cut by the network: the page resumes with the same screen, nothing twice", async () => {
    await typeLine(tab, "echo one-$((1+1))");
    const before = await waitForScreen(tab, (rows) => rows[rows.indexOf("one-2") + 1] === "$");
    proxy.cut();
    await waitForState(tab, "reconnecting").catch(() => {}); // may be over before we look
    await waitForState(tab, "open");
    expect(await screenRows(tab)).toEqual(before);
    await typeLine(tab, "echo after-$((2+3))");
    const rows = await waitForScreen(tab, (rows) => rows.includes("after-5"));
    expect(count(rows, "one-2")).toBe(1);
    expect(count(rows, "$ echo one-$((1+1))")).toBe(1);
    expect(count(rows, "hi")).toBe(1);
    // Every chunk drawn after the snapshot was the seq after the one before it: none twice, none missing.
    expect(await tab.evaluate(() => (globalThis as any).execServerPage.drawn.seqBreaks)).toBe(0);
  });

  test("a cut while output streams: every line once, none missing", async () => {
    await typeLine(tab, ticking("cut", 60));
    await waitForScreen(tab, (rows) => rows.includes("cut-5"));
    proxy.cut();
    await waitForState(tab, "open");
    await expectTicksOnce(tab, "cut", 60);
  });

  test("a reload takes the session back: same screen from process/snapshot, then live", async () => {
    const before = await waitForScreen(tab, (rows) => rows.filter((row) => row !== "").at(-1) === "$");
    const seqBefore = await tab.evaluate(() => (globalThis as any).execServerPage.drawn.lastSeq as number);
    await tab.reload();
    await waitForState(tab, "open");
    // Polls until the rows are exactly those of before the reload (the error shows the last screen).
    await waitForScreen(tab, (rows) => JSON.stringify(rows) === JSON.stringify(before));
    expect(await tab.evaluate(() => (globalThis as any).execServerPage.drawn.lastSeq as number)).toBe(seqBefore);
    await typeLine(tab, "echo reloaded-$((3*3))");
    await waitForScreen(tab, (rows) => rows.includes("reloaded-9"));
    // The snapshot brought the scrollback too: every earlier line once.
    const lines = await bufferLines(tab);
    expect(count(lines, "hi")).toBe(1);
    expect(count(lines, "one-2")).toBe(1);
    expect(count(lines, "after-5")).toBe(1);
    expect(count(lines, "reloaded-9")).toBe(1);
    // A reload while output streams: what came meanwhile is in the snapshot or after it, once.
    await typeLine(tab, ticking("reload", 60));
    await waitForScreen(tab, (rows) => rows.includes("reload-5"));
    await tab.reload();
    await waitForState(tab, "open");
    await expectTicksOnce(tab, "reload", 60);
    // Same shell, not a new one: its history still has the first command.
    await typeLine(tab, "history | head -1");
    await waitForScreen(tab, (rows) => rows.some((row) => /^\s*1\s+echo hi$/.test(row)));
  });

  test("the exit shows on the page; a reload then starts a new shell", async () => {
    await typeLine(tab, "exit 7");
    await waitForState(tab, "exited");
    expect(await tab.textContent("#state")).toBe("exited with code 7");
    await tab.reload();
    await waitForState(tab, "open");
    await waitForScreen(tab, (rows) => rows[0] === "$" && !rows.includes("one-2"));
    await tab.close();
  });

  test("a read-only viewer sees what an SDK client types and cannot type", async () => {
    await using client = await ExecServerClient.connectWebSocket({ url: listener.url, resume: true });
    const shell = await startAgentShell(client, { cols: 80, rows: 20 });
    await shell.write("echo before-viewer\n");
    await shell.wait({ timeoutMs: 5000, afterSeq: 0, until: { pattern: "^before-viewer" } });

    const viewer = await browser.newPage();
    await viewer.goto(`${pageUrl}?attach=${client.sessionId}/${shell.id}&mode=read`);
    await waitForState(viewer, "open");
    await waitForScreen(viewer, (rows) => rows.includes("before-viewer"));

    await shell.write("echo from-$((40+2))\n");
    const seen = await waitForScreen(viewer, (rows) => rows.includes("from-42"));
    expect(count(seen, "before-viewer")).toBe(1);

    await viewer.click(".xterm");
    await viewer.keyboard.type("echo typed-in-viewer");
    await viewer.keyboard.press("Enter");
    await shell.write("echo marker\n");
    await waitForScreen(viewer, (rows) => rows.includes("marker"));
    expect((await screenRows(viewer)).join("\n")).not.toContain("typed-in-viewer");
    expect(await shell.text()).not.toContain("typed-in-viewer");
    await viewer.close();
  });

  test("a sharing page (mode=write) types into an SDK client's shell", async () => {
    await using client = await ExecServerClient.connectWebSocket({ url: listener.url, resume: true });
    const shell = await startAgentShell(client, {});
    const sharer = await browser.newPage();
    await sharer.goto(`${pageUrl}?attach=${client.sessionId}/${shell.id}&mode=write`);
    await waitForState(sharer, "open");
    expect(await sharer.textContent("#state")).toBe("open (sharing)");
    await typeLine(sharer, "echo shared-$((8*8))");
    await waitForScreen(sharer, (rows) => rows.includes("shared-64"));
    const seen = await shell.wait({ timeoutMs: 5000, afterSeq: 0, until: { pattern: "^shared-64" } });
    expect(seen.matched).toBe(true);
    await sharer.close();
  });

  test("a page from another origin is refused (websocket and ticket)", async () => {
    const foreign = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () => new Response("<!doctype html><title>other site</title>", { headers: { "content-type": "text/html" } }),
    });
    try {
      const other = await browser.newPage();
      await other.goto(`http://127.0.0.1:${foreign.port}/`);
      const outcome = await other.evaluate(
        (url) =>
          new Promise<string>((resolve) => {
            const socket = new WebSocket(url, ["exec-server.v0"]);
            socket.onopen = () => resolve("open");
            socket.onclose = () => resolve("refused");
          }),
        listener.url,
      );
      expect(outcome).toBe("refused");
      const ticket = await other.evaluate(
        (url) => fetch(url, { method: "POST" }).then((r) => `status ${r.status}`, () => "blocked"),
        listener.url.replace(/^ws:/, "http:") + "/ticket",
      );
      // CORS hides the answer from the page; the server refused it anyway (checked below).
      expect(ticket).toBe("blocked");
      await other.close();
    } finally {
      await foreign.stop(true);
    }
    const base = listener.url.replace(/^ws:/, "http:");
    const origin = `http://127.0.0.1:${foreign.port}`;
    expect((await fetch(`${base}/ticket`, { method: "POST", headers: { origin } })).status).toBe(403);
    expect((await fetch(`${base}/web/config`, { headers: { origin } })).status).toBe(403);
    // DNS rebinding: a name that resolves to us, Origin and Host agreeing.
    const rebound = await fetch(`${base}/web/config`, {
      headers: { origin: `http://evil.example:${listener.port}`, host: `evil.example:${listener.port}` },
    });
    expect(rebound.status).toBe(403);
  });
});
