import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { tmpdir } from "node:os";
import { DaemonProcess } from "@x/exec-test-kit/daemon.ts";
import { describeLeaks, killMarked, waitDaemonSettled, waitMarkedGone, waitReaped } from "@x/exec-test-kit/leak-check.ts";
import { newMarker } from "@x/exec-test-kit/marker.ts";
import { describeProc, isLive, openFds, procsWithEnv } from "@x/exec-test-kit/proc-tree.ts";
import { ProtocolClient } from "@x/exec-test-kit/protocol-client.ts";
import { clientFrame, rawCall, RawSocket, rawUpgrade, upgradeRequest } from "@x/exec-test-kit/raw-socket.ts";
import { startFamily } from "@x/exec-test-kit/stream-family.ts";
import { warmUp } from "@x/exec-test-kit/warm-up.ts";
import { openWebSocketWire } from "@x/exec-test-kit/wire.ts";
import { within } from "@x/exec-test-kit/within.ts";
import { LeakGuard } from "@x/exec-test-kit/leak-guard.ts";

// Clients that vanish: the daemon must kill everything their connection
// started (grandchildren included), reap it, close its fds, and keep serving.

const DOOMED_CLIENT = Bun.resolveSync("@x/exec-test-kit/doomed-client.ts", import.meta.dir);
const guard = new LeakGuard();
const markers: string[] = [];
let daemon: DaemonProcess;
let fdBaseline: Map<number, string>;
let connectionsKilled = 0;

beforeAll(async () => {
  daemon = await DaemonProcess.start({ transport: "websocket", args: ["--log-level", "error"] });
  await warmUp(daemon.url!);
  fdBaseline = openFds(daemon.pid);
  guard.trackDaemon(daemon.pid);
});

afterAll(() =>
  guard.assertCleanAround(async () => {
    for (const entry of markers) killMarked(entry);
    await daemon.stop();
    console.log(`chaos: ${connectionsKilled} connections killed`);
  }),
);

function marker(label: string) {
  const made = newMarker(label);
  markers.push(made.entry);
  guard.trackMarker(made.entry);
  return made;
}

/**
 * Everything the vanished connection started is gone and reaped (not left a
 * zombie), and the daemon is back to the fds it had before the test.
 */
async function expectAllGone(entry: string, pids: readonly number[], fdsBefore: ReadonlyMap<number, string>): Promise<void> {
  expect((await waitMarkedGone(entry)).map(describeProc)).toEqual([]);
  expect((await waitReaped(pids)).map(describeProc)).toEqual([]);
  expect(describeLeaks(await waitDaemonSettled(daemon.pid, fdsBefore))).toEqual([]);
  const probe = new ProtocolClient(await openWebSocketWire(daemon.url!));
  await probe.handshake("probe");
  probe.close();
  await probe.wire.closed;
}

async function rawHandshake(socket: RawSocket): Promise<void> {
  const response = await rawCall(socket, { id: 1, method: "initialize", params: { clientName: "raw" } });
  expect(response.result.protocolVersion).toBeString();
  await rawCall(socket, { method: "initialized" });
}

async function rawStart(socket: RawSocket, id: number, params: Record<string, unknown>): Promise<number> {
  const response = await rawCall(socket, { id, method: "process/start", params: { cwd: tmpdir(), tty: false, ...params } });
  expect(response.error).toBeUndefined();
  return response.result.pid;
}

describe("a client that vanishes mid-stream", () => {
  test("websocket dropped without a close frame", async () => {
    const fdsBefore = openFds(daemon.pid);
    const { entry, env } = marker("terminate");
    const wire = await openWebSocketWire(daemon.url!);
    const client = new ProtocolClient(wire, { keepOutput: false });
    await client.handshake("terminate");
    const pids = await startFamily(client, env);
    expect(procsWithEnv(entry).length).toBeGreaterThanOrEqual(6); // 3 children + 3 grandchildren
    wire.destroy();
    connectionsKilled++;
    await expectAllGone(entry, pids, fdsBefore);
  });

  test("TCP reset while the client reads nothing (the daemon's sends back up)", async () => {
    const fdsBefore = openFds(daemon.pid);
    const { entry, env } = marker("reset");
    const { status, socket } = await rawUpgrade(daemon.port);
    expect(status).toBe(101);
    await rawHandshake(socket);
    const pids = [
      await rawStart(socket, 2, { processId: "flood", argv: ["sh", "-c", "sleep 1000 & yes output-line"], env }),
      await rawStart(socket, 3, { processId: "pty", argv: ["sh", "-c", "sleep 1000 & yes pty-line"], env, tty: true }),
    ];
    await Bun.sleep(300); // let the unread output fill the socket buffers
    socket.destroy();
    connectionsKilled++;
    await expectAllGone(entry, pids, fdsBefore);
  });

  test("client process killed with SIGKILL (websocket)", async () => {
    const fdsBefore = openFds(daemon.pid);
    const { entry } = marker("kill9-ws");
    const client = Bun.spawn(["bun", DOOMED_CLIENT, "websocket", daemon.url!, entry], { stdout: "pipe", stderr: "inherit" });
    const line = await readLine(client.stdout);
    const { pids } = JSON.parse(line) as { pids: number[] };
    expect(procsWithEnv(entry).length).toBeGreaterThanOrEqual(6);
    client.kill("SIGKILL");
    await client.exited;
    connectionsKilled++;
    await expectAllGone(entry, pids, fdsBefore);
  });

  test("stdio client killed with SIGKILL: its daemon sees end of stdin, kills everything and exits", async () => {
    const { entry } = marker("kill9-stdio");
    const client = Bun.spawn(["bun", DOOMED_CLIENT, "stdio", entry], { stdout: "pipe", stderr: "inherit" });
    const { daemonPid, pids } = JSON.parse(await readLine(client.stdout)) as { daemonPid: number; pids: number[] };
    expect(isLive(daemonPid)).toBe(true);
    client.kill("SIGKILL");
    await client.exited;
    connectionsKilled++;
    const survivors = await waitMarkedGone(entry, 10_000);
    expect(survivors.map(describeProc)).toEqual([]);
    const deadline = performance.now() + 10_000;
    while (isLive(daemonPid) && performance.now() < deadline) await Bun.sleep(50);
    const stuck = isLive(daemonPid);
    if (stuck) process.kill(daemonPid, "SIGKILL");
    expect(stuck ? "daemon still running" : "daemon gone").toBe("daemon gone");
    // The daemon reaped its children before exiting: none is left as a zombie.
    expect((await waitReaped(pids)).map(describeProc)).toEqual([]);
  });

  test("fifty connections dropped in a row, half by reset and half without a close frame", async () => {
    const fdsBefore = openFds(daemon.pid);
    const { entry, env } = marker("churn");
    const pids: number[] = [];
    for (let i = 0; i < 50; i++) {
      if (i % 2 === 0) {
        const wire = await openWebSocketWire(daemon.url!);
        const client = new ProtocolClient(wire, { keepOutput: false });
        await client.handshake("churn");
        for (const tty of [false, true]) {
          const result = await client.call("process/start", { processId: `c${tty}`, argv: ["sh", "-c", "sleep 1000 & yes"], cwd: tmpdir(), env, tty });
          pids.push(result.pid!);
        }
        await client.until(() => client.process("cfalse").bytes > 0, 10_000, "output");
        wire.destroy();
      } else {
        const { socket } = await rawUpgrade(daemon.port);
        await rawHandshake(socket);
        pids.push(await rawStart(socket, 2, { processId: "c", argv: ["sh", "-c", "sleep 1000 & yes"], env }));
        pids.push(await rawStart(socket, 3, { processId: "t", argv: ["sh", "-c", "sleep 1000 & yes"], env, tty: true }));
        socket.destroy();
      }
      connectionsKilled++;
    }
    await expectAllGone(entry, pids, fdsBefore);
  });
});

describe("a client that vanishes mid-handshake", () => {
  /** `partway` takes a raw connection part of the way; it is then destroyed and must leave nothing behind. */
  async function vanishes(label: string, partway: () => Promise<RawSocket>): Promise<void> {
    const fdsBefore = openFds(daemon.pid);
    const socket = await partway();
    socket.destroy();
    connectionsKilled++;
    await expectAllGone(marker(label).entry, [], fdsBefore);
  }

  test("half an HTTP upgrade request", () =>
    vanishes("half-upgrade", async () => {
      const socket = await RawSocket.open(daemon.port);
      const request = upgradeRequest(daemon.port);
      await socket.write(request.slice(0, request.length / 2));
      await Bun.sleep(50);
      return socket;
    }));

  test("upgraded, then gone before initialize", () =>
    vanishes("no-initialize", async () => {
      const { status, socket } = await rawUpgrade(daemon.port);
      expect(status).toBe(101);
      return socket;
    }));

  test("initialize answered, then gone before initialized", () =>
    vanishes("no-initialized", async () => {
      const { socket } = await rawUpgrade(daemon.port);
      const response = await rawCall(socket, { id: 1, method: "initialize", params: { clientName: "x" } });
      expect(response.result).toBeDefined();
      return socket;
    }));

  test("half a frame header", () =>
    vanishes("half-header", async () => {
      const { socket } = await rawUpgrade(daemon.port);
      const frame = clientFrame(JSON.stringify({ id: 1, method: "initialize", params: { clientName: "x".repeat(70_000) } }));
      await socket.write(frame.subarray(0, 3));
      await Bun.sleep(50);
      return socket;
    }));
});

describe("a client that vanishes mid-write", () => {
  test("half of a process/write frame, then reset", async () => {
    const fdsBefore = openFds(daemon.pid);
    const { entry, env } = marker("half-write");
    const { socket } = await rawUpgrade(daemon.port);
    await rawHandshake(socket);
    const pid = await rawStart(socket, 2, { processId: "cat", argv: ["sh", "-c", "sleep 1000 & cat"], env, pipeStdin: true });
    const chunk = Buffer.alloc(256 * 1024, 0x62).toString("base64");
    const frame = clientFrame(JSON.stringify({ id: 3, method: "process/write", params: { processId: "cat", chunk } }));
    await socket.write(frame.subarray(0, frame.length / 2));
    await Bun.sleep(100);
    socket.destroy();
    connectionsKilled++;
    await expectAllGone(entry, [pid], fdsBefore);
  });

  test("gone while a write waits on a child that never reads stdin", async () => {
    const fdsBefore = openFds(daemon.pid);
    const { entry, env } = marker("blocked-write");
    const wire = await openWebSocketWire(daemon.url!);
    const client = new ProtocolClient(wire);
    await client.handshake("blocked");
    const { pid } = await client.call("process/start", {
      processId: "deaf",
      argv: ["sh", "-c", "sleep 1000 & sleep 1000"],
      cwd: tmpdir(),
      env,
      tty: false,
      pipeStdin: true,
    });
    // 256 KiB: more than a pipe holds (64 KiB), so the write cannot complete while the child lives.
    const write = client.request("process/write", { processId: "deaf", chunk: Buffer.alloc(256 << 10, 0x63).toString("base64") });
    expect(await within(write, 500)).toBeUndefined();
    wire.destroy();
    connectionsKilled++;
    await expectAllGone(entry, [pid!], fdsBefore);
  });
});

async function readLine(stream: ReadableStream<Uint8Array>, timeoutMs = 30_000): Promise<string> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const deadline = performance.now() + timeoutMs;
  try {
    while (!text.includes("\n")) {
      const next = await within(reader.read(), deadline - performance.now());
      if (next === undefined) throw new Error(`no line within ${timeoutMs} ms`);
      if (next.done) throw new Error(`stream ended before a line: ${JSON.stringify(text)}`);
      text += decoder.decode(next.value, { stream: true });
    }
  } finally {
    reader.releaseLock();
  }
  return text.slice(0, text.indexOf("\n"));
}
