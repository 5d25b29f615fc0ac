import { describe, expect, test } from "bun:test";
import { ExecServer, listenWebSocket } from "exec-server";
import {
  ConnectionClosedError,
  ExecServerClient,
  ExecTimeoutError,
  LimitExceededError,
  SpawnFailedError,
  spawnLocalExecServer,
} from "../src/index.ts";
import { isAlive, waitFor } from "./support/processes.ts";

describe("connecting", () => {
  test("initializeTimeoutMs: a peer that never answers fails with ExecTimeoutError", async () => {
    const started = Date.now();
    const error = await ExecServerClient.connectStdio({
      readable: new ReadableStream<Uint8Array>(),
      writable: new WritableStream<Uint8Array>(),
      initializeTimeoutMs: 200,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(ExecTimeoutError);
    expect(error.message).toContain("initialize");
    expect(Date.now() - started).toBeLessThan(2000);
  });

  test("past 1,024 calls awaiting answers, the next one is refused at once with LimitExceededError", async () => {
    // A peer that answers initialize and then nothing at all.
    const toPeer = new TransformStream<Uint8Array, Uint8Array>();
    const fromPeer = new TransformStream<Uint8Array, Uint8Array>();
    const peerWriter = fromPeer.writable.getWriter();
    let received = 0;
    void (async () => {
      const decoder = new TextDecoder();
      let buffered = "";
      for await (const bytes of toPeer.readable) {
        buffered += decoder.decode(bytes, { stream: true });
        for (let at = buffered.indexOf("\n"); at !== -1; at = buffered.indexOf("\n")) {
          const message = JSON.parse(buffered.slice(0, at));
          buffered = buffered.slice(at + 1);
          if (message.method === "initialize") {
            await peerWriter.write(new TextEncoder().encode(`${JSON.stringify({ id: message.id, result: { protocolVersion: "exec-server.v0" } })}\n`));
          } else if (message.id !== undefined) received++;
        }
      }
    })();
    const client = await ExecServerClient.connectStdio({ readable: fromPeer.readable, writable: toPeer.writable });
    const pending = Array.from({ length: 1024 }, () => client.list().catch((e: unknown) => e));
    const refused = await client.list().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(LimitExceededError);
    expect((refused as LimitExceededError).message).toContain("too many requests in flight");
    await waitFor("the peer to receive the 1,024 calls", () => received === 1024);
    await client.close();
    expect((await Promise.all(pending)).every((e) => e instanceof ConnectionClosedError)).toBe(true);
    expect(received).toBe(1024);
  });

  test("a peer that does not speak JSON ends the connection with ConnectionClosedError", async () => {
    const error = await ExecServerClient.connectStdio({
      readable: new Response("hello, I am not a server\n").body!,
      writable: new WritableStream<Uint8Array>(),
    }).catch((e) => e);
    expect(error).toBeInstanceOf(ConnectionClosedError);
    expect(error.message).toContain("not JSON");
  });

  test("connectTimeoutMs: a socket that never completes the upgrade fails with ExecTimeoutError", async () => {
    const silent = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      const started = Date.now();
      const error = await ExecServerClient.connectWebSocket({
        url: `ws://127.0.0.1:${silent.port}`,
        connectTimeoutMs: 300,
      }).catch((e) => e);
      expect(error).toBeInstanceOf(ExecTimeoutError);
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      silent.stop(true);
    }
  });

  test("a refused connection fails promptly with ConnectionClosedError", async () => {
    const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = probe.port;
    probe.stop(true);
    const error = await ExecServerClient.connectWebSocket({ url: `ws://127.0.0.1:${port}` }).catch((e) => e);
    expect(error).toBeInstanceOf(ConnectionClosedError);
    expect(error.message).toContain(`127.0.0.1:${port}`);
  });

  test("token: sent as a bearer header; a wrong one is refused", async () => {
    const server = new ExecServer();
    const listener = listenWebSocket(server, { hostname: "127.0.0.1", port: 0, allowedOrigins: [], token: "s3cret" });
    try {
      const refused = await ExecServerClient.connectWebSocket({ url: listener.url, token: "wrong" }).catch((e) => e);
      expect(refused).toBeInstanceOf(ConnectionClosedError);
      const anonymous = await ExecServerClient.connectWebSocket({ url: listener.url }).catch((e) => e);
      expect(anonymous).toBeInstanceOf(ConnectionClosedError);
      await using client = await ExecServerClient.connectWebSocket({ url: listener.url, token: "s3cret" });
      expect(client.state).toBe("open");
      expect((await client.run(["echo", "authorised"])).stdout).toBe("authorised\n");
    } finally {
      await listener.stop();
      await server.shutdown();
    }
  });
});

describe("spawnLocalExecServer", () => {
  test("a command that cannot start fails with SpawnFailedError", async () => {
    const error = await spawnLocalExecServer({ command: "/nonexistent/exec-server" }).catch((e) => e);
    expect(error).toBeInstanceOf(SpawnFailedError);
  });

  test("a command that is not a server fails with ConnectionClosedError, and is reaped", async () => {
    const error = await spawnLocalExecServer({ command: "true" }).catch((e) => e);
    expect(error).toBeInstanceOf(ConnectionClosedError);
  });

  test("await using: leaving the scope closes the client, ends the child and its processes", async () => {
    let serverPid = 0;
    let childPid = 0;
    let exited: Promise<number> | undefined;
    {
      await using server = await spawnLocalExecServer({ clientName: "dispose-test" });
      serverPid = server.pid;
      exited = server.exited;
      const child = await server.client.start({ argv: ["sleep", "30"] });
      childPid = child.pid!;
      expect(isAlive(childPid)).toBe(true);
    }
    expect(await exited).toBe(0);
    expect(isAlive(serverPid)).toBe(false);
    await waitFor("the server's child to be gone", () => !isAlive(childPid), 2000);
  });
});
