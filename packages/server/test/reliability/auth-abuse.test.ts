import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DaemonProcess, daemonCommand } from "@x/exec-test-kit/daemon.ts";
import { describeLeaks, waitDaemonSettled } from "@x/exec-test-kit/leak-check.ts";
import { openFds } from "@x/exec-test-kit/proc-tree.ts";
import { ProtocolClient } from "@x/exec-test-kit/protocol-client.ts";
import { rawCall, RawSocket, rawUpgrade, upgradeRequest } from "@x/exec-test-kit/raw-socket.ts";
import { within } from "@x/exec-test-kit/within.ts";
import { openWebSocketWire } from "@x/exec-test-kit/wire.ts";
import { LeakGuard } from "@x/exec-test-kit/leak-guard.ts";

// Nobody uninvited gets in: no token, a wrong one, a browser page's Origin.
// Requests go to 127.0.0.1 only, over raw sockets so every header is exact.

const TOKEN = "s3cr3t-token-0123456789abcdefghij";
const ALLOWED_ORIGIN = "http://allowed.example";
const guard = new LeakGuard();
let daemon: DaemonProcess;
let fdBaseline: Map<number, string>;

beforeAll(async () => {
  daemon = await DaemonProcess.start({
    transport: "websocket",
    args: ["--log-level", "error", "--token", TOKEN, "--allow-origin", ALLOWED_ORIGIN],
  });
  fdBaseline = openFds(daemon.pid);
  guard.trackDaemon(daemon.pid);
});

afterAll(() => guard.assertCleanAround(() => daemon.stop()));

async function statusFor(headers: Record<string, string>, path = "/"): Promise<number> {
  const socket = await RawSocket.open(daemon.port);
  try {
    await socket.write(upgradeRequest(daemon.port, headers, path));
    const head = (await socket.readUntil("\r\n\r\n")).toString("latin1");
    return Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
  } finally {
    socket.destroy();
  }
}

describe("tokens", () => {
  test("the right token opens a session (the control case)", async () => {
    const { status, socket } = await rawUpgrade(daemon.port, { Authorization: `Bearer ${TOKEN}` });
    expect(status).toBe(101);
    const response = await rawCall(socket, { id: 1, method: "initialize", params: { clientName: "ok" } });
    expect(response.result.protocolVersion).toBeString();
    socket.destroy();
  });

  const refused: Array<[string, Record<string, string>]> = [
    ["no Authorization header", {}],
    ["an empty Authorization header", { Authorization: "" }],
    ["Bearer with nothing after it", { Authorization: "Bearer " }],
    ["a wrong token", { Authorization: "Bearer wrong" }],
    ["the token with one character more", { Authorization: `Bearer ${TOKEN}x` }],
    ["the token with one character less", { Authorization: `Bearer ${TOKEN.slice(0, -1)}` }],
    ["the token in another case", { Authorization: `Bearer ${TOKEN.toUpperCase()}` }],
    ["the token without the Bearer scheme", { Authorization: TOKEN }],
    ["the token under Basic", { Authorization: `Basic ${Buffer.from(`user:${TOKEN}`).toString("base64")}` }],
    ["the token after two spaces", { Authorization: `Bearer  ${TOKEN}` }],
    ["the token in another header", { "X-Token": TOKEN }],
    ["the token as a subprotocol", { "Sec-WebSocket-Protocol": TOKEN }],
    ["the token in a cookie", { Cookie: `token=${TOKEN}` }],
  ];
  for (const [name, headers] of refused) {
    test(`refused with 401: ${name}`, async () => {
      expect(await statusFor(headers)).toBe(401);
    });
  }

  test("refused with 401: the token in the query string", async () => {
    expect(await statusFor({}, `/?token=${TOKEN}`)).toBe(401);
  });

  test("a refused client through a real websocket client never gets a connection", async () => {
    await expect(openWebSocketWire(daemon.url!, { Authorization: "Bearer nope" })).rejects.toThrow();
  });

  test("timing: right-length wrong tokens and wrong-length tokens are refused in about the same time", async () => {
    const groups = {
      firstByteWrong: `Bearer ${"X"}${TOKEN.slice(1)}`,
      lastByteWrong: `Bearer ${TOKEN.slice(0, -1)}X`,
      short: "Bearer x",
      long: `Bearer ${TOKEN.repeat(8)}`,
    };
    const samples: Record<string, number[]> = Object.fromEntries(Object.keys(groups).map((key) => [key, []]));
    const rounds = 150;
    for (let round = 0; round < rounds; round++) {
      // Interleaved, so drift in machine load hits every group alike.
      for (const [key, authorization] of Object.entries(groups)) {
        const socket = await RawSocket.open(daemon.port);
        const request = upgradeRequest(daemon.port, { Authorization: authorization });
        const started = performance.now();
        await socket.write(request);
        const head = (await socket.readUntil("\r\n\r\n")).toString("latin1");
        samples[key]!.push(performance.now() - started);
        socket.destroy();
        expect(head.startsWith("HTTP/1.1 401")).toBe(true);
      }
    }
    const means = Object.fromEntries(Object.entries(samples).map(([key, values]) => [key, trimmedMean(values)]));
    console.log(`auth timing (trimmed mean ms over ${rounds} each): ${JSON.stringify(means, (_, v) => (typeof v === "number" ? +v.toFixed(3) : v))}`);
    const values = Object.values(means);
    const spread = Math.max(...values) - Math.min(...values);
    // Generous: loopback jitter on a shared machine dwarfs any comparison time.
    expect(spread).toBeLessThanOrEqual(Math.max(0.5, 0.5 * Math.max(...values)));
    // 600 refusals later the daemon holds no extra fds.
    expect(describeLeaks(await waitDaemonSettled(daemon.pid, fdBaseline))).toEqual([]);
  }, 60_000);
});

describe("origins", () => {
  const browserOrigins = [
    "http://evil.example",
    "null",
    `http://127.0.0.1:0`,
    "http://localhost",
    "file://",
    "chrome-extension://abcdefghijklmnop",
    ALLOWED_ORIGIN.toUpperCase(),
    `${ALLOWED_ORIGIN}.evil.example`,
    `${ALLOWED_ORIGIN}:8080`,
    `${ALLOWED_ORIGIN}/`,
    ` ${ALLOWED_ORIGIN}x`,
  ];
  for (const origin of browserOrigins) {
    test(`refused with 403 even with the right token: Origin ${JSON.stringify(origin)}`, async () => {
      const headers = { Authorization: `Bearer ${TOKEN}`, Origin: origin === "http://127.0.0.1:0" ? `http://127.0.0.1:${daemon.port}` : origin };
      expect(await statusFor(headers)).toBe(403);
    });
  }

  test("the allowed origin still needs the token", async () => {
    expect(await statusFor({ Origin: ALLOWED_ORIGIN })).toBe(401);
    expect(await statusFor({ Origin: ALLOWED_ORIGIN, Authorization: `Bearer ${TOKEN}` })).toBe(101);
  });

  test("a real websocket client carrying a foreign Origin is refused", async () => {
    await expect(openWebSocketWire(daemon.url!, { Authorization: `Bearer ${TOKEN}`, Origin: "http://evil.example" })).rejects.toThrow();
    const client = new ProtocolClient(await openWebSocketWire(daemon.url!, { Authorization: `Bearer ${TOKEN}` }));
    await client.handshake("still-open-to-the-invited");
    client.close();
    await client.wire.closed;
  });
});

describe("listening beyond loopback", () => {
  const dir = mkdtempSync(join(tmpdir(), "exec-auth-"));
  const emptyTokenFile = join(dir, "empty-token");
  writeFileSync(emptyTokenFile, "\n");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const refusedStarts: Array<[string, string[], Record<string, string>]> = [
    ["0.0.0.0 without a token", ["--listen", "ws://0.0.0.0:0"], {}],
    ["[::] without a token", ["--listen", "ws://[::]:0"], {}],
    ["a LAN address without a token", ["--listen", "ws://192.0.2.10:0"], {}],
    ["0.0.0.0 with an empty EXEC_SERVER_TOKEN", ["--listen", "ws://0.0.0.0:0"], { EXEC_SERVER_TOKEN: "" }],
    ["0.0.0.0 with an empty --token-file", ["--listen", "ws://0.0.0.0:0", "--token-file", emptyTokenFile], {}],
    ["0.0.0.0 with an empty --token", ["--listen", "ws://0.0.0.0:0", "--token", ""], {}],
  ];
  for (const [name, args, extraEnv] of refusedStarts) {
    test(`refused at start-up: ${name}`, async () => {
      const env: Record<string, string> = {};
      for (const [key, value] of Object.entries(process.env)) if (value !== undefined && key !== "EXEC_SERVER_TOKEN") env[key] = value;
      const proc = Bun.spawn([...daemonCommand(), ...args], { stdin: "ignore", stdout: "pipe", stderr: "pipe", env: { ...env, ...extraEnv } });
      const code = await within(proc.exited, 10_000);
      if (code === undefined) proc.kill("SIGKILL");
      const stderr = await new Response(proc.stderr).text();
      expect(code).toBeDefined();
      expect(code).not.toBe(0);
      expect(stderr).not.toContain("listening on");
      expect(stderr).toMatch(/refusing to listen|token must not be empty/);
    });
  }
});

function trimmedMean(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const cut = Math.floor(sorted.length * 0.1);
  const kept = sorted.slice(cut, sorted.length - cut);
  return kept.reduce((sum, value) => sum + value, 0) / kept.length;
}
