import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { JSONRPCClient, JSONRPCServer, JSONRPCServerAndClient } from "json-rpc-2.0";
import { LeakGuard } from "@x/exec-test-kit/leak-guard.ts";
import { startDaemon, type Daemon, type TransportKind } from "@x/exec-test-kit/daemon.ts";
import { ProtocolClient } from "@x/exec-test-kit/protocol-client.ts";
import { b64, startParams, type Json } from "@x/exec-test-kit/start-params.ts";

const guard = new LeakGuard();
afterAll(() => guard.assertClean());

describe.each<TransportKind>(["stdio", "websocket"])("JSON-RPC 2.0 over %s", (kind) => {
  describe("raw messages", () => {
    let daemon: Daemon;
    let client: ProtocolClient;

    beforeAll(async () => {
      daemon = await startDaemon(kind);
      client = await ProtocolClient.connect(daemon);
    });

    afterAll(async () => {
      client.close();
      await daemon.stop();
    });

    test("a request with the member gets it back, on results and errors alike", async () => {
      client.send({ jsonrpc: "2.0", id: 1, method: "initialize", params: { clientName: "v2" } });
      expect(await client.waitFor((m) => m.id === 1)).toMatchObject({ jsonrpc: "2.0", id: 1, result: { protocolVersion: "exec-server.v0" } });
      client.send({ jsonrpc: "2.0", method: "initialized", params: {} });
      client.send({ jsonrpc: "2.0", id: 2, method: "no/such" });
      expect(await client.waitFor((m) => m.id === 2)).toMatchObject({ jsonrpc: "2.0", id: 2, error: { message: "unknown method: no/such" } });
      client.sendRaw("{broken");
      expect(await client.waitFor((m) => m.id === null && m.error?.code === -32700)).toMatchObject({ jsonrpc: "2.0" });
    });

    test("every notification to a 2.0 peer carries the member", async () => {
      client.send({ jsonrpc: "2.0", id: 3, method: "process/start", params: startParams("n", ["sh", "-c", "echo one; echo two >&2"]) });
      await client.waitFor((m) => m.id === 3);
      await client.waitExited("n");
      const notifications = client.messages.filter((m) => m.method !== undefined);
      expect(notifications.length).toBeGreaterThanOrEqual(3);
      for (const message of notifications) expect(message.jsonrpc).toBe("2.0");
    });

    test("a batch is answered with one array: one entry per request, none for notifications", async () => {
      client.sendRaw(
        JSON.stringify([
          { jsonrpc: "2.0", id: "a", method: "process/list" },
          { jsonrpc: "2.0", method: "unknown/notification" },
          { jsonrpc: "2.0", id: "b", method: "process/terminate", params: { processId: "nope" } },
          { jsonrpc: "2.0", id: "c", method: "process/read", params: {} },
          7,
        ]),
      );
      const batch = (await client.waitFor((m) => Array.isArray(m))) as unknown as Json[];
      expect(batch).toHaveLength(4);
      const byId = new Map(batch.map((entry) => [entry.id, entry]));
      expect(byId.get("a")).toMatchObject({ jsonrpc: "2.0", result: { processes: expect.any(Array) } });
      expect(byId.get("b")).toEqual({ jsonrpc: "2.0", id: "b", result: { running: false } });
      expect(byId.get("c")).toMatchObject({ jsonrpc: "2.0", error: { code: -32602 } });
      expect(byId.get(null)).toMatchObject({ jsonrpc: "2.0", error: { code: -32600 } });
    });

    test("an empty batch gets one error object; a batch of notifications gets nothing", async () => {
      client.sendRaw("[]");
      const empty = await client.waitFor((m) => m.id === null && m.error?.message?.includes("empty batch"));
      expect(empty).toEqual({ jsonrpc: "2.0", id: null, error: { code: -32600, message: "invalid request: empty batch" } });
      const before = client.messages.length;
      client.sendRaw(JSON.stringify([{ jsonrpc: "2.0", method: "a/b" }, { jsonrpc: "2.0", method: "c/d" }]));
      client.send({ jsonrpc: "2.0", id: "after", method: "process/list" });
      await client.waitFor((m) => m.id === "after");
      // Responses come in order of completion; process/list answers at once, so nothing came in between.
      expect(client.messages.slice(before).filter((m) => Array.isArray(m) || m.method === undefined)).toHaveLength(1);
    });
  });

  test("a v0 peer on the same daemon sees no member anywhere", async () => {
    const daemon = await startDaemon(kind);
    const client = await ProtocolClient.connect(daemon);
    try {
      await client.handshake();
      await client.call("process/start", startParams("v0", ["sh", "-c", "echo hi"]));
      await client.waitExited("v0");
      client.sendRaw("{broken");
      await client.waitFor((m) => m.error?.code === -32700);
      expect(client.messages.length).toBeGreaterThan(3);
      expect(client.messages.some((m) => "jsonrpc" in m)).toBe(false);
    } finally {
      client.close();
      await daemon.stop();
    }
  });

  test("the json-rpc-2.0 package's client drives a process end to end", async () => {
    const daemon = await startDaemon(kind);
    const peer = await StockPeer.connect(daemon);
    try {
      const output: string[] = [];
      const exited = Promise.withResolvers<Json>();
      peer.rpc.addMethod("process/output", (params: Json) => {
        output.push(Buffer.from(params.chunk, "base64").toString());
      });
      peer.rpc.addMethod("process/exited", (params: Json) => exited.resolve(params));

      expect(await peer.rpc.request("initialize", { clientName: "json-rpc-2.0" })).toMatchObject({ protocolVersion: "exec-server.v0" });
      peer.rpc.notify("initialized", {});
      const script = "echo ready; read line; echo got:$line; exit 3";
      expect(await peer.rpc.request("process/start", startParams("p", ["sh", "-c", script], { pipeStdin: true }))).toMatchObject({ processId: "p" });
      expect(await peer.rpc.request("process/write", { processId: "p", chunk: b64("hello\n") })).toEqual({ accepted: true, status: "accepted" });
      expect(await exited.promise).toMatchObject({ processId: "p", exitCode: 3 });
      expect(output.join("")).toBe("ready\ngot:hello\n");

      // Its batch API too: one array out, one array back, matched by id.
      const responses = await peer.rpc.client.requestAdvanced([
        { jsonrpc: "2.0", id: 100, method: "process/list", params: {} },
        { jsonrpc: "2.0", id: 101, method: "process/read", params: { processId: "p" } },
      ]);
      expect(responses.map((r) => r.id).sort()).toEqual([100, 101]);
      const read = responses.find((r) => r.id === 101) as Json;
      expect(read.result.exitCode).toBe(3);
      await expect(peer.rpc.request("process/start", { argv: [] })).rejects.toThrow(/argv|invalid/i);
      expect(peer.warnings).toEqual([]);
    } finally {
      peer.close();
      await daemon.stop();
    }
  });
});

/** The stock package wired to the daemon the way its README shows, over either transport. */
class StockPeer {
  readonly warnings: string[] = [];

  private constructor(
    readonly rpc: JSONRPCServerAndClient,
    readonly close: () => void,
  ) {}

  static async connect(daemon: Daemon): Promise<StockPeer> {
    let sendText: (text: string) => void = () => {};
    let closeTransport: () => void = () => {};
    const rpc = new JSONRPCServerAndClient(
      new JSONRPCServer(),
      new JSONRPCClient((payload) => sendText(JSON.stringify(payload))),
      { errorListener: (message, data) => peer.warnings.push(`${message}: ${JSON.stringify(data)}`) },
    );
    const peer = new StockPeer(rpc, () => closeTransport());
    const receive = (text: string) => void rpc.receiveAndSend(JSON.parse(text)).catch(() => {});
    if (daemon.url) {
      const ws = new WebSocket(daemon.url);
      ws.onmessage = (event) => receive(String(event.data));
      ws.onclose = () => rpc.rejectAllPendingRequests("connection closed");
      await new Promise<void>((resolve, reject) => {
        ws.onopen = () => resolve();
        ws.onerror = () => reject(new Error("websocket failed"));
      });
      sendText = (text) => ws.send(text);
      closeTransport = () => ws.close();
    } else {
      const stdin = daemon.proc.stdin;
      sendText = (text) => {
        stdin.write(`${text}\n`);
        void stdin.flush();
      };
      closeTransport = () => void stdin.end();
      void (async () => {
        let buffer = "";
        const decoder = new TextDecoder();
        for await (const chunk of daemon.proc.stdout) {
          buffer += decoder.decode(chunk, { stream: true });
          for (let newline; (newline = buffer.indexOf("\n")) !== -1; buffer = buffer.slice(newline + 1)) {
            receive(buffer.slice(0, newline));
          }
        }
        rpc.rejectAllPendingRequests("connection closed");
      })();
    }
    return peer;
  }
}
