import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import type { ExecServerClient } from "@x/exec-client";
import { ErrorCode, decodeBase64, encodeBase64, type NotificationParamsOf } from "@x/exec-protocol";
import type { Daemon } from "@x/exec-test-kit/daemon.ts";
import { ProtocolClient } from "@x/exec-test-kit/protocol-client.ts";
import { expectRpcError, machineDaemon } from "./machine-daemon.ts";

let daemon: Daemon;
let client: ExecServerClient;
let server: ReturnType<typeof Bun.serve>;
let base: string;
const BIG = new Uint8Array(5 * 1024 * 1024 + 3).map((_, i) => (i * 13 + (i >> 9)) & 0xff);

beforeAll(async () => {
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const url = new URL(request.url);
      switch (url.pathname) {
        case "/echo":
          return Response.json({
            method: request.method,
            header: request.headers.get("x-test"),
            body: await request.text(),
          });
        case "/big":
          return new Response(BIG, { headers: { "content-type": "application/octet-stream" } });
        case "/redirect":
          return Response.redirect(`${base}/echo`, 302);
        case "/slow":
          await Bun.sleep(3000);
          return new Response("late");
        case "/drip":
          return new Response(
            new ReadableStream({
              async pull(controller) {
                await Bun.sleep(20);
                controller.enqueue(new TextEncoder().encode("tick\n"));
                if (Number(url.searchParams.get("n") ?? 3) <= ++dripCount) controller.close();
              },
            }),
          );
        case "/endless": {
          // 128 MiB made on demand, counting what the daemon has pulled so far.
          streamed.pulled = 0;
          const piece = new Uint8Array(256 * 1024).fill(120);
          return new Response(
            new ReadableStream({
              pull(controller) {
                if (streamed.pulled >= STREAM_BYTES) return controller.close();
                streamed.pulled += piece.length;
                controller.enqueue(piece);
              },
            }),
          );
        }
        case "/empty":
          return new Response(null, { status: 204 });
        default:
          return new Response("no", { status: 404 });
      }
    },
  });
  base = `http://127.0.0.1:${server.port}`;
  const started = await machineDaemon([]);
  daemon = started.daemon;
  client = await started.connect();
});
let dripCount = 0;
const STREAM_BYTES = 128 * 1024 * 1024;
const streamed = { pulled: 0 };

afterAll(async () => {
  await client.close();
  await daemon.stop();
  server.stop(true);
});

describe("http/request buffered", () => {
  test("method, headers and body go out; status, headers and body come back", async () => {
    const result = await client.request("http/request", {
      method: "PUT",
      url: `${base}/echo`,
      headers: [{ name: "x-test", value: "yes" }],
      body: encodeBase64(new TextEncoder().encode("payload")),
    });
    expect(result.status).toBe(200);
    expect(result.headers.find((h) => h.name === "content-type")?.value).toContain("application/json");
    expect(JSON.parse(new TextDecoder().decode(decodeBase64(result.body!)))).toEqual({ method: "PUT", header: "yes", body: "payload" });
  });

  test("redirects: follow (default) or stop", async () => {
    const followed = await client.request("http/request", { method: "GET", url: `${base}/redirect` });
    expect(followed.status).toBe(200);
    expect(followed.url).toBe(`${base}/echo`);
    const stopped = await client.request("http/request", { method: "GET", url: `${base}/redirect`, redirectPolicy: "stop" });
    expect(stopped.status).toBe(302);
    expect(stopped.headers.find((h) => h.name === "location")?.value).toBe(`${base}/echo`);
  });

  test("body cap, timeout, refused connection, bad URLs", async () => {
    const big = await client.request("http/request", { method: "GET", url: `${base}/big` });
    expect(createHash("sha256").update(decodeBase64(big.body!)).digest("hex")).toBe(createHash("sha256").update(BIG).digest("hex"));
    const capped = await expectRpcError(client.request("http/request", { method: "GET", url: `${base}/big`, maxBodyBytes: 1000 }), ErrorCode.HttpFailed);
    expect(capped.data).toEqual({ reason: "bodyTooLarge" });
    expect(capped.message).toContain("streamResponse");
    const late = await expectRpcError(client.request("http/request", { method: "GET", url: `${base}/slow`, timeoutMs: 200 }), ErrorCode.HttpFailed);
    expect(late.data).toEqual({ reason: "timeout" });
    // A port nothing listens on: the one this server had before it is stopped.
    const closed = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
    const deadPort = closed.port;
    closed.stop(true);
    const refused = await expectRpcError(client.request("http/request", { method: "GET", url: `http://127.0.0.1:${deadPort}/` }), ErrorCode.HttpFailed);
    expect(refused.data).toEqual({ reason: "network" });
    await expectRpcError(client.request("http/request", { method: "GET", url: "not a url" }), ErrorCode.InvalidParams);
    await expectRpcError(client.request("http/request", { method: "GET", url: "file:///etc/passwd" }), ErrorCode.InvalidParams);
    await expectRpcError(client.request("http/request", { method: "GET", url: `${base}/echo`, streamResponse: true }), ErrorCode.InvalidParams);
    await expectRpcError(client.request("http/request", { method: "G T", url: `${base}/echo` }), ErrorCode.InvalidParams);
    await expectRpcError(
      client.request("http/request", { method: "GET", url: `${base}/echo`, headers: [{ name: "bad name", value: "x" }] }),
      ErrorCode.InvalidParams,
    );
  });
});

describe("http/request bounds", () => {
  test("at most 16 requests in flight per connection", async () => {
    const slow = Array.from({ length: 16 }, () =>
      client.request("http/request", { method: "GET", url: `${base}/slow`, timeoutMs: 1000 }).catch((error) => error),
    );
    await Bun.sleep(100);
    const refused = await expectRpcError(client.request("http/request", { method: "GET", url: `${base}/echo` }), ErrorCode.LimitExceeded);
    expect(refused.data).toEqual({ limit: "httpRequestsInFlight", value: 16 });
    for (const outcome of await Promise.all(slow)) expect(outcome).toMatchObject({ code: ErrorCode.HttpFailed, data: { reason: "timeout" } });
    expect((await client.request("http/request", { method: "GET", url: `${base}/echo` })).status).toBe(200);
  });
});

describe("http/request streamed", () => {
  test("the body arrives as bodyDelta notifications of at most 1 MiB, in order, ending with done", async () => {
    const raw = await ProtocolClient.connect(daemon);
    await raw.call("initialize", { clientName: "http-raw" });
    raw.notify("initialized");
    const head = await raw.call("http/request", { method: "GET", url: `${base}/big`, requestId: "r1", streamResponse: true });
    expect(head.status).toBe(200);
    expect(head.body).toBeNull();
    const deadline = Date.now() + 20_000;
    let deltas: NotificationParamsOf<"http/request/bodyDelta">[] = [];
    while (!(deltas = raw.notifications("http/request/bodyDelta") as typeof deltas).some((d) => d.done)) {
      if (Date.now() > deadline) throw new Error("no final delta");
      await Bun.sleep(20);
    }
    expect(deltas.map((d) => d.seq)).toEqual(deltas.map((_, i) => i + 1));
    const parts = deltas.map((d) => decodeBase64(d.delta));
    expect(Math.max(...parts.map((p) => p.length))).toBeLessThanOrEqual(1024 * 1024);
    expect(deltas.filter((d) => d.done).length).toBe(1);
    expect(deltas.at(-1)!.done).toBe(true);
    expect(Buffer.concat(parts).equals(Buffer.from(BIG))).toBe(true);
    raw.close();
  });

  test("one requestId streams once at a time: a second request with it is refused while the first waits for its head", async () => {
    const raw = await ProtocolClient.connect(daemon);
    await raw.call("initialize", { clientName: "http-dup" });
    raw.notify("initialized");
    const params = { method: "GET", url: `${base}/slow`, requestId: "dup", streamResponse: true, timeoutMs: 1500 };
    const first = raw.request("http/request", params);
    await Bun.sleep(100);
    const second = (await raw.request("http/request", params)) as { error?: { code: number; message: string } };
    expect(second.error?.code).toBe(ErrorCode.InvalidRequest);
    expect(second.error?.message).toContain("dup is still running or streaming");
    // The first fails (timeout) and gives the id back.
    expect(((await first) as { error?: { data?: unknown } }).error?.data).toMatchObject({ reason: "timeout" });
    const again = await raw.call("http/request", { method: "GET", url: `${base}/empty`, requestId: "dup", streamResponse: true });
    expect(again.status).toBe(204);
    raw.close();
  });

  test("client.fetch resolves a standard Response that streams", async () => {
    dripCount = 0;
    const response = await client.fetch(`${base}/drip?n=5`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("tick\n".repeat(5));
    const posted = await client.fetch(`${base}/echo`, { method: "POST", headers: { "x-test": "sdk" }, body: "hello" });
    expect(await posted.json()).toEqual({ method: "POST", header: "sdk", body: "hello" });
    const big = await client.fetch(`${base}/big`);
    expect(new Uint8Array(await big.arrayBuffer())).toEqual(BIG);
    const manual = await client.fetch(`${base}/redirect`, { redirect: "manual" });
    expect(manual.status).toBe(302);
    expect((await client.fetch(`${base}/empty`)).status).toBe(204);
    expect((await client.fetch(`${base}/missing`)).status).toBe(404);
    await expect(client.fetch(`${base}/slow`, { timeoutMs: 100 })).rejects.toMatchObject({ code: ErrorCode.HttpFailed });
  });

  test("a body nobody reads is paced end to end, not buffered whole anywhere", async () => {
    const response = await client.fetch(`${base}/endless`);
    await Bun.sleep(1500);
    const pulledWhileIdle = streamed.pulled;
    console.log(`pulled from the origin while the reader was idle: ${(pulledWhileIdle / 1048576).toFixed(1)} MiB of 128`);
    expect(pulledWhileIdle).toBeLessThan(STREAM_BYTES / 2);
    let total = 0;
    for await (const part of response.body!) total += part.length;
    expect(total).toBe(STREAM_BYTES);
  });
});
