import { afterAll, beforeAll, expect, test } from "bun:test";
import { tmpdir } from "node:os";
import { DaemonProcess } from "@x/exec-test-kit/daemon.ts";
import { describeLeaks, waitDaemonSettled } from "@x/exec-test-kit/leak-check.ts";
import { newMarker } from "@x/exec-test-kit/marker.ts";
import { openFds, rssBytes } from "@x/exec-test-kit/proc-tree.ts";
import { ProtocolClient } from "@x/exec-test-kit/protocol-client.ts";
import { rawCall, rawUpgrade } from "@x/exec-test-kit/raw-socket.ts";
import { watchRss } from "@x/exec-test-kit/rss-watchdog.ts";
import { warmUp } from "@x/exec-test-kit/warm-up.ts";
import { openWebSocketWire } from "@x/exec-test-kit/wire.ts";
import { within } from "@x/exec-test-kit/within.ts";
import { LeakGuard } from "@x/exec-test-kit/leak-guard.ts";

// Defects the reliability runs found, one test each, reduced to the trigger.

const guard = new LeakGuard();
const { entry, env } = newMarker("regressions");
let daemon: DaemonProcess;

beforeAll(async () => {
  daemon = await DaemonProcess.start({ transport: "websocket", args: ["--log-level", "error"] });
  await warmUp(daemon.url!);
  guard.trackDaemon(daemon.pid);
  guard.trackMarker(entry);
});

afterAll(() => guard.assertCleanAround(() => daemon.stop()));

// A pipe source paused for backpressure when its process is disposed was never
// read to EOF nor cancelled, so the daemon kept the child's stdout socket open
// for good: one fd per dropped connection whose output was backed up.
test("a connection dropped while its pipe child's output is backed up releases the child's pipes", async () => {
  const fdsBefore = openFds(daemon.pid);
  for (let run = 0; run < 10; run++) {
    const { socket } = await rawUpgrade(daemon.port);
    await rawCall(socket, { id: 1, method: "initialize", params: { clientName: "backed-up" } });
    await rawCall(socket, { method: "initialized" });
    const started = await rawCall(socket, {
      id: 2,
      method: "process/start",
      params: { processId: "yes", argv: ["yes"], cwd: tmpdir(), env, tty: false },
    });
    expect(started.error).toBeUndefined();
    await Bun.sleep(200); // the client reads nothing: the daemon's cursor lags and the pipe is paused
    socket.destroy();
  }
  expect(describeLeaks(await waitDaemonSettled(daemon.pid, fdsBefore, 5_000))).toEqual([]);
}, 30_000);

// The base64 schema pattern `^(?:[A-Za-z0-9+/]{4})*…$` runs in ~0.5 s per MiB on
// the daemon's only thread (16 s for 8 MiB), and past ~6 MiB the regex engine
// gives up and the valid chunk is refused with -32602.
test("a valid 8 MiB process/write is accepted without stalling other connections", async () => {
  const client = new ProtocolClient(await openWebSocketWire(daemon.url!), { keepOutput: false });
  await client.handshake("large-write");
  await client.call("process/start", { processId: "cat", argv: ["cat"], cwd: tmpdir(), env, tty: false, pipeStdin: true });
  const chunk = Buffer.alloc(8 << 20, 0x61).toString("base64");
  const write = client.request("process/write", { processId: "cat", chunk });
  let answered = false;
  void write.then(() => (answered = true));
  let worstHealthMs = 0;
  while (!answered) {
    const started = performance.now();
    await fetch(`http://127.0.0.1:${daemon.port}/readyz`, { headers: { Connection: "close" } });
    worstHealthMs = Math.max(worstHealthMs, performance.now() - started);
  }
  const response = await write;
  client.close();
  await client.wire.closed;
  expect(response.error).toBeUndefined();
  expect(response.result).toEqual({ accepted: true, status: "accepted" });
  expect(worstHealthMs).toBeLessThan(1000);
}, 60_000);

// cols and rows could each be up to 65535, and the PTY's headless screen model
// allocates cols × rows cells: one process/resize to 65535×65535 grew the
// daemon past 20 GB and blocked it for good. The fuzz met it with rows = 65535.
// The schema now caps each at 1000: the largest allowed size must stay cheap.
test("a PTY resized to the largest size the schema allows neither blocks the daemon nor balloons it", async () => {
  await using own = await DaemonProcess.start({ transport: "websocket", args: ["--log-level", "error"] });
  const watchdog = watchRss(own.pid, 1024 ** 3);
  try {
    const client = new ProtocolClient(await openWebSocketWire(own.url!), { keepOutput: false });
    await client.handshake("huge-resize");
    await client.call("process/start", { processId: "tty", argv: ["cat"], cwd: tmpdir(), env, tty: true });
    await client.call("process/write", { processId: "tty", chunk: Buffer.from("before\n").toString("base64") });
    await client.until(() => client.process("tty").bytes > 0, 5_000, "echo");
    const rssBefore = rssBytes(own.pid);
    // Refusing the size is as good as handling it; hanging or ballooning is not.
    const steps = [
      ["process/resize", { processId: "tty", cols: 65535, rows: 65535 }],
      ["process/resize", { processId: "tty", cols: 1000, rows: 1000 }],
      ["process/write", { processId: "tty", chunk: Buffer.from("after\n").toString("base64") }],
      ["process/snapshot", { processId: "tty" }],
    ] as const;
    for (const [method, params] of steps) {
      const answer = await within(client.request(method, params), 3_000);
      expect(answer === undefined ? `${method}: no answer within 3 s` : "answered").toBe("answered");
    }
    const started = performance.now();
    await fetch(`http://127.0.0.1:${own.port}/readyz`, { headers: { Connection: "close" } });
    expect(performance.now() - started).toBeLessThan(1000);
    expect((watchdog.peak - rssBefore) / 2 ** 20).toBeLessThan(256);
  } finally {
    watchdog.stop();
  }
  expect(watchdog.tripped).toBeUndefined();
}, 60_000);
