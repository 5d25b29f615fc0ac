import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { DaemonProcess, daemonCommand, startDaemon, type Daemon } from "@x/exec-test-kit/daemon.ts";
import { LeakGuard } from "@x/exec-test-kit/leak-guard.ts";
import { ProtocolClient } from "@x/exec-test-kit/protocol-client.ts";
import { rawUpgrade } from "@x/exec-test-kit/raw-socket.ts";
import { startParams } from "@x/exec-test-kit/start-params.ts";

// After every daemon of this file is stopped: nothing it started is left, zombies included.
const guard = new LeakGuard();
afterAll(() => guard.assertClean());

async function upgradeStatus(url: string, headers: Record<string, string>): Promise<number> {
  const response = await fetch(url.replace("ws://", "http://"), {
    headers: { Connection: "Upgrade", Upgrade: "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", ...headers },
  });
  await response.arrayBuffer();
  return response.status;
}

describe("websocket access", () => {
  let daemon: Daemon;
  beforeAll(async () => {
    daemon = await startDaemon("websocket", ["--token", "s3cret", "--allow-origin", "https://trusted.example"]);
  });
  afterAll(async () => {
    await daemon.stop();
  });

  test("GET /readyz answers 200 without credentials", async () => {
    const response = await fetch(`${daemon.url!.replace("ws://", "http://")}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("ok\n");
  });

  test("a missing or wrong token is refused with 401; the right one is accepted", async () => {
    expect(await upgradeStatus(daemon.url!, {})).toBe(401);
    expect(await upgradeStatus(daemon.url!, { Authorization: "Bearer wrong" })).toBe(401);
    expect(await upgradeStatus(daemon.url!, { Authorization: "Bearer s3cret2" })).toBe(401);
    expect(await upgradeStatus(daemon.url!, { Authorization: "s3cret" })).toBe(401);
    expect(ProtocolClient.overWebSocket(daemon.url!)).rejects.toThrow();
    const ok = await ProtocolClient.overWebSocket(daemon.url!, { Authorization: "Bearer s3cret" });
    await ok.handshake();
    ok.close();
  });

  test("the token offered as a subprotocol is accepted but never echoed; exec-server.v0 is answered when offered", async () => {
    const port = Number(new URL(daemon.url!).port);
    const bearer = `exec-server.bearer.${Buffer.from("s3cret").toString("base64url")}`;
    const alone = await rawUpgrade(port, { "Sec-WebSocket-Protocol": bearer });
    alone.socket.destroy();
    expect(alone.status).toBe(101);
    expect(alone.head.toLowerCase()).not.toContain("sec-websocket-protocol");
    expect(alone.head).not.toContain(bearer);
    const both = await rawUpgrade(port, { "Sec-WebSocket-Protocol": `${bearer}, exec-server.v0` });
    both.socket.destroy();
    expect(both.status).toBe(101);
    expect(both.head).toMatch(/sec-websocket-protocol: exec-server\.v0\r\n/i);
    expect(both.head).not.toContain(bearer);
  });

  test("browser Origins are refused with 403 unless allowed", async () => {
    const auth = { Authorization: "Bearer s3cret" };
    expect(await upgradeStatus(daemon.url!, { ...auth, Origin: "https://evil.example" })).toBe(403);
    expect(await upgradeStatus(daemon.url!, { ...auth, Origin: "null" })).toBe(403);
    const allowed = await ProtocolClient.overWebSocket(daemon.url!, { ...auth, Origin: "https://trusted.example" });
    await allowed.handshake();
    allowed.close();
  });
});

test("two websocket connections have separate process tables", async () => {
  const daemon = await startDaemon("websocket");
  try {
    const a = await ProtocolClient.connect(daemon);
    const b = await ProtocolClient.connect(daemon);
    await a.handshake("a");
    await b.handshake("b");
    await a.call("process/start", startParams("same", ["sh", "-c", "echo from-a"]));
    await b.call("process/start", startParams("same", ["sh", "-c", "echo from-b"]));
    await a.call("process/start", startParams("only-a", ["sleep", "5"]));
    await a.waitExited("same");
    await b.waitExited("same");
    expect(a.output("same").toString()).toBe("from-a\n");
    expect(b.output("same").toString()).toBe("from-b\n");
    expect((await b.request("process/read", { processId: "only-a" })).error.message).toBe("unknown process id only-a");
    expect(b.notifications("process/output", "only-a")).toHaveLength(0);
    a.close();
    b.close();
  } finally {
    await daemon.stop();
  }
});

describe("command line", () => {
  async function run(args: string[], env: Record<string, string> = {}) {
    const proc = Bun.spawn([...daemonCommand(), ...args], { stdin: "ignore", stdout: "pipe", stderr: "pipe", env: { ...process.env, ...env } });
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    return { stdout, stderr, code };
  }

  test("--help and --version", async () => {
    const help = await run(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--listen URL");
    const version = await run(["--version"]);
    expect(version.stdout).toMatch(/^exec-server \d+\.\d+\.\d+\n$/);
  });

  test("listen URLs that are not IP literals or not supported fail with the seed's messages", async () => {
    const host = await run(["--listen", "ws://localhost:1234"]);
    expect(host.code).not.toBe(0);
    expect(host.stderr).toContain("invalid websocket --listen URL `ws://localhost:1234`; expected `ws://IP:PORT`");
    const scheme = await run(["--listen", "http://127.0.0.1:1234"]);
    expect(scheme.code).not.toBe(0);
    expect(scheme.stderr).toContain("unsupported --listen URL `http://127.0.0.1:1234`; expected `stdio://`, `ws://IP:PORT` or `unix:///path.sock`");
  });

  test("a non-loopback listen address needs a token", async () => {
    const refused = await run(["--listen", "ws://0.0.0.0:0"]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("refusing to listen on 0.0.0.0 without a token");
  });

  test("unknown flags and bad numbers are refused", async () => {
    expect((await run(["--frobnicate"])).code).not.toBe(0);
    const bad = await run(["--retained-output-bytes", "lots"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("--retained-output-bytes must be a positive integer");
  });

  test("EXEC_SERVER_TOKEN enables auth", async () => {
    // The launcher gives it a temporary HOME and, seeing the token, no --no-auth.
    const daemon = await DaemonProcess.start({ transport: "websocket", env: { EXEC_SERVER_TOKEN: "from-env" } });
    try {
      expect(await upgradeStatus(daemon.url!, {})).toBe(401);
      const ok = await ProtocolClient.overWebSocket(daemon.url!, { Authorization: "Bearer from-env" });
      await ok.handshake();
      ok.close();
    } finally {
      await daemon.stop();
    }
  });
});

test("keepalive: a peer that stops answering pings is dropped; an idle live peer is kept", async () => {
  const daemon = await startDaemon("websocket", ["--ping-interval", "0.3"]);
  try {
    // A separate client process (it starts `cat /dev/zero`), then frozen with SIGSTOP: no pongs.
    const frozen = Bun.spawn(["bun", `${import.meta.dir}/support/flood-client.ts`, daemon.url!], { stdout: "pipe" });
    const reader = frozen.stdout.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain("started");
    const idle = await ProtocolClient.connect(daemon);
    await idle.handshake();
    const kept = await idle.call("process/start", startParams("kept", ["sleep", "30"]));
    frozen.kill("SIGSTOP");
    for (let i = 0; i < 100 && !daemon.stderr().includes("no pong"); i++) await Bun.sleep(50);
    expect(daemon.stderr()).toContain("no pong within 300 ms");
    // The live, idle client answers pings and keeps its process.
    await Bun.sleep(700);
    expect(idle.closed).toBe(false);
    expect((await idle.call("process/list", {})).processes[0]).toMatchObject({ processId: "kept", running: true, pid: kept.pid });
    frozen.kill("SIGKILL");
    await frozen.exited;
    idle.close();
  } finally {
    await daemon.stop();
  }
});

test("binaryOutput: process/output comes as binary frames of raw bytes; other messages stay JSON", async () => {
  const { decodeOutputFrame } = await import("@x/exec-protocol");
  const daemon = await startDaemon("websocket");
  try {
    const ws = new WebSocket(daemon.url!);
    ws.binaryType = "arraybuffer";
    const frames: Uint8Array[] = [];
    const texts: any[] = [];
    ws.onmessage = (event) => {
      if (typeof event.data === "string") texts.push(JSON.parse(event.data));
      else frames.push(new Uint8Array(event.data as ArrayBuffer));
    };
    await new Promise((resolve) => (ws.onopen = resolve));
    ws.send(JSON.stringify({ id: 1, method: "initialize", params: { clientName: "bin", binaryOutput: true } }));
    ws.send(JSON.stringify({ method: "initialized" }));
    ws.send(JSON.stringify({ id: 2, method: "process/start", params: startParams("b", ["sh", "-c", "printf 'a\\0b'; printf err >&2"]) }));
    while (!texts.some((m) => m.method === "process/exited")) await Bun.sleep(10);
    expect(texts.find((m) => m.id === 1).result.binaryOutput).toBe(true);
    expect(texts.some((m) => m.method === "process/output")).toBe(false);
    const decoded = frames.map(decodeOutputFrame);
    expect(decoded.map((f) => [f.processId, f.stream, f.seq])).toEqual([["b", "stdout", 1], ["b", "stderr", 2]]);
    expect([...decoded[0]!.data]).toEqual([97, 0, 98]);
    ws.close();
  } finally {
    await daemon.stop();
  }
});

test("binaryOutput is declined over stdio", async () => {
  const daemon = await startDaemon("stdio");
  const c = ProtocolClient.overStdio(daemon);
  expect((await c.call("initialize", { clientName: "x", binaryOutput: true })).binaryOutput).toBe(false);
  c.close();
  await daemon.stop();
});
