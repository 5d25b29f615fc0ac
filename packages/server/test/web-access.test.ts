import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bearerSubprotocol, TICKET_SUBPROTOCOL_PREFIX, WEBSOCKET_SUBPROTOCOL } from "@x/exec-protocol";
import { ExecServerClient } from "@x/exec-client";
import { TicketStore } from "../src/web/ticket-store.ts";
import { launchBrowser, type TestBrowser } from "@x/exec-test-kit/chromium.ts";
import { DaemonProcess, SERVER_BIN, type Daemon } from "@x/exec-test-kit/daemon.ts";
import { LeakGuard } from "@x/exec-test-kit/leak-guard.ts";
import { waitForScreen, waitForState } from "./support/browser.ts";

const TOKEN = "web-s3cret";
const COMMAND = "PS1='$ ' exec bash --norc --noprofile";
let home: string;
let daemon: Daemon;
let http: string;
let browser: TestBrowser | undefined;
const guard = new LeakGuard();

// The real daemon binary, token from EXEC_SERVER_TOKEN, with --web.
beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), "exec-server-web-access-"));
  daemon = await DaemonProcess.start({
    transport: "websocket",
    args: ["--web", "--web-command", COMMAND],
    reportUnexpectedExit: true,
    env: {
      HOME: home,
      PATH: process.env.PATH,
      EXEC_SERVER_TOKEN: TOKEN,
    },
  });
  http = daemon.url!.replace(/^ws:/, "http:");
  guard.trackDaemon(daemon.proc.pid);
});

afterAll(async () => {
  await browser?.[Symbol.asyncDispose]();
  // The page's shell and every socket are gone, the daemon's fds back to where they started.
  await guard.assertCleanAround(() => daemon.stop());
  rmSync(home, { recursive: true, force: true });
});

const bearer = { authorization: `Bearer ${TOKEN}` };

/** fetch without keep-alive: an idle pooled connection would count as an fd the daemon still holds. */
function request(url: string, init: { method?: string; headers?: Record<string, string> } = {}): Promise<Response> {
  return fetch(url, { ...init, headers: { ...init.headers, connection: "close" } });
}

/** Opens a websocket offering `protocols`; resolves with the chosen subprotocol, or "refused". */
function openWith(protocols: string[]): Promise<string> {
  return new Promise((resolve) => {
    const socket = new WebSocket(daemon.url!, protocols);
    socket.onopen = () => {
      resolve(`open ${socket.protocol}`);
      socket.close();
    };
    socket.onerror = () => resolve("refused");
  });
}

async function ticket(): Promise<string> {
  const response = await request(`${http}/ticket`, { method: "POST", headers: bearer });
  expect(response.status).toBe(200);
  return ((await response.json()) as { ticket: string }).ticket;
}

describe("exec-server --web over HTTP", () => {
  test("the page and its bundle are served to anyone, with a CSP that forbids framing", async () => {
    const page = await request(`${http}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(await page.text()).toContain('<script type="module" src="/web/app.js">');
    const script = await request(`${http}/web/app.js`);
    expect(script.headers.get("content-type")).toStartWith("text/javascript");
    expect((await script.text()).length).toBeGreaterThan(100_000);
    expect((await request(`${http}/nope`)).status).toBe(401); // not a route: an upgrade without credentials
  });

  test("GET /web/config needs the token; the command's environment does not carry it", async () => {
    expect((await request(`${http}/web/config`)).status).toBe(401);
    const response = await request(`${http}/web/config`, { headers: bearer });
    expect(response.status).toBe(200);
    const config = (await response.json()) as { command: { argv: string[]; cwd: string; env: Record<string, string> } };
    expect(config.command.argv).toEqual(["/bin/sh", "-c", COMMAND]);
    expect(config.command.cwd).toBe(home);
    expect(config.command.env.TERM).toBe("xterm-256color");
    expect(JSON.stringify(config)).not.toContain(TOKEN);
  });

  test("a ticket opens one websocket, once; the server answers with its subprotocol", async () => {
    expect((await request(`${http}/ticket`, { method: "POST" })).status).toBe(401);
    expect((await request(`${http}/ticket`, { method: "POST", headers: { authorization: "Bearer wrong" } })).status).toBe(401);
    const value = await ticket();
    expect(await openWith([WEBSOCKET_SUBPROTOCOL, TICKET_SUBPROTOCOL_PREFIX + value])).toBe(`open ${WEBSOCKET_SUBPROTOCOL}`);
    expect(await openWith([WEBSOCKET_SUBPROTOCOL, TICKET_SUBPROTOCOL_PREFIX + value])).toBe("refused");
    expect(await openWith([WEBSOCKET_SUBPROTOCOL, `${TICKET_SUBPROTOCOL_PREFIX}made-up`])).toBe("refused");
    expect(await openWith([WEBSOCKET_SUBPROTOCOL])).toBe("refused");
  });

  test("the token itself as a subprotocol value (base64url) opens a websocket; a wrong one does not", async () => {
    expect(await openWith([WEBSOCKET_SUBPROTOCOL, bearerSubprotocol(TOKEN)])).toBe(`open ${WEBSOCKET_SUBPROTOCOL}`);
    expect(await openWith([WEBSOCKET_SUBPROTOCOL, bearerSubprotocol(`${TOKEN}x`)])).toBe("refused");
  });

  test("the SDK from Bun with `ticket`: a fresh ticket for the socket, and the session works", async () => {
    let fetched = 0;
    await using client = await ExecServerClient.connectWebSocket({
      url: daemon.url!,
      ticket: () => {
        fetched++;
        return ticket();
      },
    });
    const result = await client.run(["sh", "-c", "echo ticketed"], { cwd: home, env: {} });
    expect(result.stdout).toBe("ticketed\n");
    expect(fetched).toBe(1);
  });

  test("in Chromium: the page asks for the token, then runs the shell over ticketed sockets", async () => {
    browser = await launchBrowser();
    const tab = await browser.newPage();
    await tab.goto(`${http}/`);
    await tab.waitForSelector("#login:not([hidden])");
    await tab.fill("#token", TOKEN);
    await tab.click("#login button");
    await waitForState(tab, "open");
    await waitForScreen(tab, (rows) => rows[0] === "$");
    await tab.click(".xterm");
    await tab.keyboard.type("echo token-$((20+3))");
    await tab.keyboard.press("Enter");
    await waitForScreen(tab, (rows) => rows.includes("token-23"));
    // A reload takes the session back with a fresh ticket (the token stays in the tab).
    await tab.reload();
    await waitForState(tab, "open");
    await waitForScreen(tab, (rows) => rows.includes("token-23"));
    await tab.click(".xterm");
    await tab.keyboard.type("echo again-$((20+4))");
    await tab.keyboard.press("Enter");
    const rows = await waitForScreen(tab, (rows) => rows.includes("again-24"));
    expect(rows.filter((row) => row === "token-23")).toHaveLength(1);
    // The token was never in a URL the page loaded.
    const urls = await tab.evaluate(() => performance.getEntries().map((entry) => entry.name));
    expect(urls.join(" ")).not.toContain(TOKEN);
    // Its session would outlive the tab (for the TTL): end the shell, so nothing is left.
    await tab.keyboard.type("exit");
    await tab.keyboard.press("Enter");
    await waitForState(tab, "exited");
    await tab.close();
  });
});

describe("--web flags", () => {
  test.each([
    [["--web"], "--web needs --listen ws://IP:PORT"],
    [["--listen", "ws://127.0.0.1:0", "--web-command", "top"], "--web-command needs --web"],
  ])("refused at start-up: %p", async (args, message) => {
    const proc = Bun.spawn(["bun", SERVER_BIN, ...args], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });
});

describe("TicketStore", () => {
  test("a ticket expires after its TTL and is single use", () => {
    let now = 1000;
    const store = new TicketStore(30_000, 4, () => now);
    const first = store.issue()!;
    const second = store.issue()!;
    expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(store.redeem(first)).toBe(true);
    expect(store.redeem(first)).toBe(false);
    now += 30_000;
    expect(store.redeem(second)).toBe(false);
  });

  test("outstanding tickets are bounded; expired ones make room", () => {
    let now = 0;
    const store = new TicketStore(1000, 2, () => now);
    expect(store.issue()).toBeString();
    expect(store.issue()).toBeString();
    expect(store.issue()).toBeUndefined();
    now = 1000;
    expect(store.issue()).toBeString();
    expect(store.size).toBe(1);
  });
});
