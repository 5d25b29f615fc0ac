import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ExecServer, listenWebSocket, type WebSocketListener } from "exec-server";
import {
  ConnectionClosedError,
  ExecServerClient,
  type ReconnectInfo,
  type WebSocketConnectOptions,
} from "../src/index.ts";
import { isAlive, killGroupQuietly, waitFor } from "./support/processes.ts";
import { OutputDigest, writeRandomFile } from "./support/random-file.ts";
import { startTcpProxy, type TcpProxy } from "./support/tcp-proxy.ts";

const TTL_MS = 3000;
const MiB = 1024 * 1024;

// Retention covers what can be in flight when a socket drops (the server's send queue,
// both kernel buffers, the proxy, what the client received but had not processed).
const server = new ExecServer({ detachedSessionTtlMs: TTL_MS, retainedOutputBytes: 48 * MiB });
let listener: WebSocketListener;
let proxy: TcpProxy;
let scratch: string;

beforeAll(() => {
  listener = listenWebSocket(server, { hostname: "127.0.0.1", port: 0, allowedOrigins: [] });
  proxy = startTcpProxy({ hostname: "127.0.0.1", port: listener.port });
  scratch = mkdtempSync(join(tmpdir(), "exec-client-resume-"));
});

afterAll(async () => {
  proxy.stop();
  await listener.stop();
  await server.shutdown();
  rmSync(scratch, { recursive: true, force: true });
});

/** A client whose socket goes through the proxy, with the events it saw. */
async function connect(options: Partial<WebSocketConnectOptions> = {}) {
  const client = await ExecServerClient.connectWebSocket({ url: proxy.url, clientName: "resume-test", resume: true, ...options });
  const events: string[] = [];
  const reconnects: ReconnectInfo[] = [];
  client.on("reconnecting", () => events.push("reconnecting"));
  client.on("reconnect", (info) => {
    events.push("reconnect");
    reconnects.push(info);
  });
  const disconnected = new Promise<ConnectionClosedError>((resolve) =>
    client.on("disconnect", (error) => {
      events.push("disconnect");
      resolve(error);
    }),
  );
  return { client, events, reconnects, disconnected };
}

/** Drops the client's socket and refuses its reconnects until `proxy.refuse(false)`. */
function cutAndStayDown(): void {
  proxy.refuse(true);
  proxy.cut();
}

describe("resume after a dropped socket", () => {
  test("a 32 MiB pipe stream cut twice arrives whole: same sha256, no seq gap or duplicate, exit 0", async () => {
    const file = join(scratch, "random.bin");
    const expected = await writeRandomFile(file, 32 * MiB);
    const { client, events, reconnects } = await connect();
    try {
      const sessionId = client.sessionId;
      expect(sessionId).toBeString();
      const cat = await client.start({ argv: ["cat", file] });
      const digest = new OutputDigest();
      const cutAt = [4 * MiB, 16 * MiB];
      for await (const chunk of cat.output()) {
        digest.add(chunk);
        if (cutAt.length > 0 && digest.bytes >= cutAt[0]!) {
          cutAt.shift();
          proxy.cut();
        }
      }
      expect(digest.seqBreaks).toEqual([]);
      expect(digest.bytes).toBe(32 * MiB);
      expect(digest.hex()).toBe(expected);
      expect(await cat.exited).toEqual({ exitCode: 0, signal: null });
      expect(events).toEqual(["reconnecting", "reconnect", "reconnecting", "reconnect"]);
      expect(reconnects.map((info) => info.sessionId)).toEqual([sessionId!, sessionId!]);
      expect(client.sessionId).toBe(sessionId);
      expect(client.state).toBe("open");
    } finally {
      await client.close();
    }
  });

  test("a PTY program cut mid-output: the text is exactly what it printed, exit 7; pending reads are retried, other calls fail", async () => {
    const { client, events } = await connect();
    try {
      const sleeper = await client.start({ argv: ["sleep", "30"] });
      const script = "seq -f line-%g 1 60000; sleep 0.3; echo done; exit 7";
      const pty = await client.start({ argv: ["bash", "--noprofile", "--norc", "-c", script], tty: true });
      let pendingRead: Promise<unknown> | undefined;
      let pendingWait: Promise<unknown> | undefined;
      const decoder = new TextDecoder();
      let text = "";
      for await (const chunk of pty.output()) {
        text += decoder.decode(chunk.data, { stream: true });
        if (!pendingRead && text.includes("line-1000\r\n")) {
          pendingRead = sleeper.read({ waitMs: 800 });
          pendingWait = sleeper.wait({ timeoutMs: 20_000 }).catch((error: unknown) => error);
          await Bun.sleep(20); // both requests are on the wire
          proxy.cut();
        }
      }
      text += decoder.decode();
      const lines = Array.from({ length: 60_000 }, (_, i) => `line-${i + 1}\r\n`).join("");
      expect(text.length).toBe(lines.length + "done\r\n".length);
      expect(text === `${lines}done\r\n`).toBe(true);
      expect(await pty.exited).toEqual({ exitCode: 7, signal: null });
      // process/read is a plain read: sent again on the resumed connection.
      expect(await pendingRead).toMatchObject({ chunks: [], exited: false });
      // process/wait is not: it fails with the drop.
      expect(await pendingWait).toBeInstanceOf(ConnectionClosedError);
      expect(events).toEqual(["reconnecting", "reconnect"]);
      await sleeper.terminate();
      expect((await sleeper.exited).signal).toBe("SIGKILL");
    } finally {
      await client.close();
    }
  });

  test("calls made while reconnecting wait for the resumed connection", async () => {
    const { client, events } = await connect();
    try {
      cutAndStayDown();
      await waitFor("the client to notice the drop", () => client.state === "reconnecting");
      const started = client.start({ argv: ["echo", "after the drop"] });
      await Bun.sleep(300);
      proxy.refuse(false);
      const echo = await started;
      expect(await echo.exited).toEqual({ exitCode: 0, signal: null });
      expect(await echo.text()).toBe("after the drop\n");
      expect(events).toEqual(["reconnecting", "reconnect"]);
    } finally {
      proxy.refuse(false);
      await client.close();
    }
  });

  test("a write in flight at the drop is sent again with its writeId after the resume, and written once", async () => {
    const { client, events } = await connect();
    try {
      // The child reads nothing for a while: a write larger than the pipe stays in flight.
      const slow = await client.start({ argv: ["sh", "-c", "sleep 1; exec cat"], pipeStdin: true });
      const payload = new Uint8Array(512 * 1024).map((_, i) => (i * 7) & 0xff);
      const collected: Uint8Array[] = [];
      const reading = (async () => {
        for await (const chunk of slow.output()) collected.push(chunk.data);
      })();
      const writing = slow.write(payload);
      await Bun.sleep(200);
      proxy.cut();
      await writing; // answered on the resumed connection
      await slow.closeStdin();
      expect(await slow.exited).toEqual({ exitCode: 0, signal: null });
      await reading;
      const echoed = Buffer.concat(collected);
      expect(echoed.byteLength).toBe(payload.byteLength); // not twice
      expect(Buffer.from(echoed).equals(Buffer.from(payload))).toBe(true);
      expect(events).toEqual(["reconnecting", "reconnect"]);
    } finally {
      await client.close();
    }
  });

  test("a start whose answer the drop lost rejects, and the process it may have started does not stay running", async () => {
    const { client, events } = await connect();
    try {
      const reconnected = new Promise((resolve) => client.on("reconnect", resolve));
      proxy.silenceServer();
      const starting = client.start({ processId: "lost", argv: ["sleep", "1000"] });
      // The server starts it; the answer is lost.
      const serverSide = () => server.sessions.require(client.sessionId!).processes.get("lost");
      await waitFor("the server to start it", () => serverSide() !== undefined);
      const pid = serverSide()!.child.pid;
      proxy.cut();
      expect(await starting.catch((error: unknown) => error)).toBeInstanceOf(ConnectionClosedError);
      await reconnected;
      await waitFor("the client to kill what it does not know", () => !isAlive(pid), 2000);
      expect((await client.list()).map((info) => [info.processId, info.running, info.signal])).toEqual([["lost", false, "SIGKILL"]]);
      expect(events).toEqual(["reconnecting", "reconnect"]);
    } finally {
      await client.close();
    }
  });

  test("close() while reconnecting stops the attempts and fails what waits", async () => {
    const { client, events, disconnected } = await connect({ resume: { maxAttempts: 50, backoffMs: 100 } });
    const sleeper = await client.start({ argv: ["sleep", "1000"] });
    try {
      cutAndStayDown();
      await waitFor("the client to notice the drop", () => client.state === "reconnecting");
      const waiting = client.list().catch((error: unknown) => error);
      const accepted = proxy.accepted;
      await client.close();
      expect(client.state).toBe("closed");
      const error = await disconnected;
      expect(error.message).toContain("closed by the client");
      expect(await waiting).toBe(error);
      expect(await sleeper.exited.catch((e: unknown) => e)).toBe(error);
      await Bun.sleep(400);
      expect(proxy.accepted).toBe(accepted); // no attempt after close()
      expect(events).toEqual(["reconnecting", "disconnect"]);
    } finally {
      proxy.refuse(false);
      killGroupQuietly(sleeper.pid);
    }
  });

  test("past the TTL the session is gone: its processes are killed, resume fails with -32600, the client closes", async () => {
    const { client, events, disconnected } = await connect({ resume: { maxAttempts: 20, backoffMs: 100 } });
    const pipe = await client.start({ argv: ["sleep", "1000"] });
    const pty = await client.start({ argv: ["bash", "--noprofile", "--norc"], tty: true });
    const exited = pipe.exited.catch((error: unknown) => error);
    const iterating = (async () => {
      for await (const _ of pty.output());
    })().catch((error: unknown) => error);
    try {
      cutAndStayDown();
      await Bun.sleep(TTL_MS / 2);
      expect(client.state).toBe("reconnecting");
      expect(isAlive(pipe.pid!) && isAlive(pty.pid!)).toBe(true); // detached, not dead, within the TTL
      await waitFor("the TTL to kill the session's processes", () => !isAlive(pipe.pid!) && !isAlive(pty.pid!), TTL_MS + 2000);
      // Dead is not yet reaped: the daemon reaps the zombie a moment later, and must.
      await waitFor("the daemon to reap it", () => !pidExists(pipe.pid!), 2000);
      proxy.refuse(false);
      const error = await disconnected;
      expect(error).toBeInstanceOf(ConnectionClosedError);
      expect(error.message).toContain("unknown or expired session");
      expect(client.state).toBe("closed");
      expect(events).toEqual(["reconnecting", "disconnect"]);
      expect(await exited).toBe(error);
      expect(await iterating).toBe(error);
      await expect(client.list()).rejects.toBe(error);
    } finally {
      proxy.refuse(false);
      killGroupQuietly(pipe.pid);
      killGroupQuietly(pty.pid);
      await client.close();
    }
  });

  test("attempts exhausted: the client closes at once; the server ends the session after its TTL", async () => {
    const { client, events, disconnected } = await connect({ resume: { maxAttempts: 3, backoffMs: 50 } });
    const sleeper = await client.start({ argv: ["sleep", "1000"] });
    try {
      cutAndStayDown();
      const droppedAt = Date.now();
      const error = await disconnected;
      expect(Date.now() - droppedAt).toBeLessThan(TTL_MS);
      expect(error.message).toContain("not resumed");
      expect(events).toEqual(["reconnecting", "disconnect"]);
      expect(isAlive(sleeper.pid!)).toBe(true);
      await waitFor("the TTL to kill the process", () => !isAlive(sleeper.pid!), TTL_MS + 2000);
    } finally {
      proxy.refuse(false);
      killGroupQuietly(sleeper.pid);
      await client.close();
    }
  });

  test("close() on a resumable client kills its processes at once, not after the TTL", async () => {
    const { client } = await connect();
    const sleeper = await client.start({ argv: ["sleep", "1000"] });
    await client.close();
    await waitFor("the process to be killed", () => !isAlive(sleeper.pid!), TTL_MS / 2);
  });

  test("without resume a drop closes the client and the server kills its processes (v0)", async () => {
    const { client, events, disconnected } = await connect({ resume: undefined });
    const sleeper = await client.start({ argv: ["sleep", "1000"] });
    proxy.cut();
    expect(await disconnected).toBeInstanceOf(ConnectionClosedError);
    expect(events).toEqual(["disconnect"]);
    expect(client.state).toBe("closed");
    await waitFor("the process to be killed", () => !isAlive(sleeper.pid!), TTL_MS / 2);
    await client.close();
  });
});

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
