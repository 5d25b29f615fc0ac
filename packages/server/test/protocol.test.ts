import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LeakGuard } from "@x/exec-test-kit/leak-guard.ts";
import { startDaemon, type Daemon, type TransportKind } from "@x/exec-test-kit/daemon.ts";
import { ProtocolClient } from "@x/exec-test-kit/protocol-client.ts";
import { alive } from "@x/exec-test-kit/proc-tree.ts";
import { b64, BASE_ENV, startParams } from "@x/exec-test-kit/start-params.ts";

// After every daemon of this file is stopped: nothing it started is left, zombies included.
const guard = new LeakGuard();
afterAll(() => guard.assertClean());

// One protocol suite, run over both transports against the real daemon binary.
describe.each<TransportKind>(["stdio", "websocket"])("exec-server.v0 over %s", (kind) => {
  let daemon: Daemon;
  let client: ProtocolClient;
  let scratch: string;

  beforeAll(async () => {
    daemon = await startDaemon(kind);
    client = await ProtocolClient.connect(daemon);
    await client.handshake();
    scratch = mkdtempSync(join(tmpdir(), "exec-server-test-"));
  });

  afterAll(async () => {
    client.close();
    await daemon.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  test("the seed README's example session", async () => {
    const fresh = kind === "stdio" ? undefined : await ProtocolClient.connect(daemon);
    const c = fresh ?? client;
    if (fresh) {
      fresh.send({ id: 1, method: "initialize", params: { clientName: "example-client" } });
      // The seed's response, plus the additive sessionId.
      expect(await fresh.waitFor((m) => m.id === 1)).toEqual({
        id: 1,
        result: { protocolVersion: "exec-server.v0", sessionId: expect.any(String) },
      });
      fresh.send({ method: "initialized", params: {} });
    }
    const script = "printf 'ready\\n'; while IFS= read -r line; do printf 'echo:%s\\n' \"$line\"; done";
    const start = await c.request(
      "process/start",
      { processId: "proc-1", argv: ["bash", "--noprofile", "--norc", "-c", script], cwd: "/tmp", env: { PATH: "/usr/bin:/bin" }, tty: true, arg0: null },
      2,
    );
    expect(start).toMatchObject({ id: 2, result: { processId: "proc-1" } });
    await c.waitFor(() => c.output("proc-1").toString().includes("ready"));
    expect(await c.request("process/write", { processId: "proc-1", chunk: "aGVsbG8K" }, 3)).toEqual({
      id: 3,
      // v0's `accepted`, and beside it upstream's `status` (additive).
      result: { accepted: true, status: "accepted" },
    });
    await c.waitFor(() => c.output("proc-1").toString().includes("echo:hello"));
    const firstOutput = c.notifications("process/output", "proc-1")[0]!;
    expect(firstOutput.stream).toBe("pty");
    expect(await c.request("process/terminate", { processId: "proc-1" }, 4)).toEqual({ id: 4, result: { running: true } });
    const exited = await c.waitExited("proc-1");
    expect(exited).toMatchObject({ processId: "proc-1", exitCode: 137, signal: "SIGKILL" });
    expect(c.messages.some((m) => "jsonrpc" in m)).toBe(false);
    fresh?.close();
  });

  test("stdout and stderr stay separate; exit code and exited after all output", async () => {
    await client.call("process/start", startParams("sep", ["sh", "-c", "echo out; echo err >&2; echo out2; exit 7"]));
    const exited = await client.waitExited("sep");
    expect(exited.exitCode).toBe(7);
    expect(exited.signal).toBeNull();
    expect(client.output("sep", "stdout").toString()).toBe("out\nout2\n");
    expect(client.output("sep", "stderr").toString()).toBe("err\n");
    const outputs = client.notifications("process/output", "sep");
    expect(exited.seq).toBe(Math.max(...outputs.map((n) => n.seq)));
    const exitIndex = client.messages.findIndex((m) => m.method === "process/exited" && m.params.processId === "sep");
    const lastOutputIndex = client.messages.findLastIndex((m) => m.method === "process/output" && m.params.processId === "sep");
    expect(lastOutputIndex).toBeLessThan(exitIndex);
  });

  test("a signal death reports 128+n and the signal name", async () => {
    await client.call("process/start", startParams("sig", ["sh", "-c", "kill -TERM $$"]));
    expect(await client.waitExited("sig")).toMatchObject({ exitCode: 143, signal: "SIGTERM" });
  });

  test("8 MiB of random binary output arrives byte-exact and in order", async () => {
    const file = join(scratch, "random.bin");
    const data = new Uint8Array(8 * 1024 * 1024);
    for (let offset = 0; offset < data.length; offset += 65536) crypto.getRandomValues(data.subarray(offset, offset + 65536));
    await Bun.write(file, data);
    await client.call("process/start", startParams("big", ["cat", file]));
    await client.waitExited("big", 60_000);
    const received = client.output("big", "stdout");
    const seqs = client.notifications("process/output", "big").map((n) => n.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    expect(received.length).toBe(data.length);
    expect(createHash("sha256").update(received).digest("hex")).toBe(createHash("sha256").update(data).digest("hex"));
  });

  test("env is exactly what was sent; PTY children get TERM; cwd and arg0 apply", async () => {
    await client.call("process/start", startParams("env", ["/usr/bin/env"], { env: { ONLY: "this", PATH: "/bin" } }));
    await client.waitExited("env");
    expect(client.output("env").toString().trim().split("\n").sort()).toEqual(["ONLY=this", "PATH=/bin"]);

    await client.call("process/start", startParams("ptyenv", ["/usr/bin/env"], { tty: true, env: { A: "1" } }));
    await client.waitExited("ptyenv");
    expect(client.output("ptyenv").toString().trim().split("\r\n").sort()).toEqual(["A=1", "TERM=xterm-256color"]);

    await client.call("process/start", startParams("cwd", ["pwd"], { cwd: scratch }));
    await client.waitExited("cwd");
    expect(client.output("cwd").toString()).toBe(`${scratch}\n`);

    await client.call("process/start", startParams("arg0", ["bash", "-c", "echo $0"], { arg0: "renamed" }));
    await client.waitExited("arg0");
    // In `bash -c`, $0 is the process's own argv[0]: the override.
    expect(client.output("arg0").toString()).toBe("renamed\n");
  });

  test("errors name the problem", async () => {
    await client.call("process/start", startParams("dup", ["sleep", "5"]));
    const dup = await client.request("process/start", startParams("dup", ["true"]));
    expect(dup.error).toMatchObject({ code: -32600, message: "process dup already exists" });
    await client.call("process/terminate", { processId: "dup" });

    expect((await client.request("process/read", { processId: "proc-9" })).error).toMatchObject({
      code: -32600,
      message: "unknown process id proc-9",
    });
    expect((await client.request("process/write", { processId: "proc-9", chunk: "" })).error?.message).toBe(
      "unknown process id proc-9",
    );
    expect((await client.request("process/start", startParams("e1", []))).error).toMatchObject({
      code: -32602,
      message: "argv must not be empty",
    });
    expect((await client.request("process/start", startParams("e2", ["true"], { cwd: "tmp" }))).error).toMatchObject({
      code: -32602,
      message: 'cwd must be an absolute path or a file: URI; got "tmp"',
    });
    expect((await client.request("process/start", startParams("e3", ["true"], { cwd: "/no/such/dir" }))).error?.message).toContain(
      "/no/such/dir",
    );
    const spawnFail = await client.request("process/start", startParams("e4", ["/no/such/program"]));
    expect(spawnFail.error.code).toBe(-32603);
    expect(spawnFail.error.message).toContain("/no/such/program");
    expect(spawnFail.error.message).toContain("ENOENT");
    const invalid = await client.request("process/start", { processId: "e5", argv: "ls", cwd: "/tmp", env: {}, tty: false });
    expect(invalid.error.code).toBe(-32602);
    expect(invalid.error.message).toContain("argv");
    expect((await client.request("process/nope", {})).error).toMatchObject({ code: -32600, message: "unknown method: process/nope" });
    expect((await client.request("process/write", { processId: "sep", chunk: "not base64!" })).error.code).toBe(-32602);
  });

  test("pipe processes reject writes; terminate of unknown ids says not running", async () => {
    await client.call("process/start", startParams("nowrite", ["sleep", "5"]));
    const write = await client.request("process/write", { processId: "nowrite", chunk: b64("x") });
    expect(write.error.code).toBe(-32600);
    expect(write.error.message).toContain("stdin is closed");
    expect(await client.call("process/terminate", { processId: "nowrite" })).toEqual({ running: true });
    await client.waitExited("nowrite");
    expect(await client.call("process/terminate", { processId: "nowrite" })).toEqual({ running: false });
    expect(await client.call("process/terminate", { processId: "never-existed" })).toEqual({ running: false });
  });

  test("process/read: afterSeq is exclusive, maxBytes returns at least one chunk, waitMs wakes on output", async () => {
    await client.call("process/start", startParams("reader", ["sh", "-c", "echo a; sleep 0.2; echo b; sleep 0.2; echo c"]));
    await client.waitExited("reader");
    const all = await client.call("process/read", { processId: "reader", afterSeq: 0, maxBytes: 65536, waitMs: 0 });
    expect(all.chunks.map((c: any) => Buffer.from(c.chunk, "base64").toString())).toEqual(["a\n", "b\n", "c\n"]);
    expect(all).toMatchObject({ nextSeq: 4, exited: true, exitCode: 0, firstSeq: 1, droppedBytes: 0 });
    const afterOne = await client.call("process/read", { processId: "reader", afterSeq: 1, maxBytes: 1 });
    expect(afterOne.chunks).toHaveLength(1);
    expect(afterOne.chunks[0].seq).toBe(2);
    expect(afterOne.nextSeq).toBe(3);

    await client.call("process/start", startParams("waiter", ["sh", "-c", "sleep 0.3; echo late"]));
    const began = performance.now();
    const waited = await client.call("process/read", { processId: "waiter", afterSeq: 0, waitMs: 5000 });
    expect(performance.now() - began).toBeLessThan(4000);
    expect(Buffer.from(waited.chunks[0].chunk, "base64").toString()).toBe("late\n");
  });

  test("exited is not held hostage by a background descendant, whose later output still streams", async () => {
    await client.call("process/start", startParams("bg", ["sh", "-c", "(sleep 1; echo late) & echo early"]));
    const exited = await client.waitExited("bg");
    expect(exited.exitCode).toBe(0);
    expect(client.output("bg").toString()).toBe("early\n");
    const closed = await client.waitFor((m) => m.method === "process/closed" && m.params.processId === "bg");
    expect(client.output("bg").toString()).toBe("early\nlate\n");
    expect(closed.params.seq).toBe(2);
  });

  test("invalid JSON gets -32700 with a null id and the connection stays usable", async () => {
    client.sendRaw("{not json");
    const parseError = await client.waitFor((m) => m.id === null && m.error?.code === -32700);
    expect(parseError.error.message).toContain("parse error");
    client.sendRaw('{"id":98,"method":"process/terminate","params":{"processId":"x"},"jsonrpc":"1.0"}');
    // Anything but "2.0" in the member is ignored, as before: a v0 answer.
    expect(await client.waitFor((m) => m.id === 98)).toEqual({ id: 98, result: { running: false } });
    client.sendRaw('{"id":{"x":1},"method":"initialize"}');
    await client.waitFor((m) => m.id === null && m.error?.message?.includes("id must be"));
    expect((await client.request("process/terminate", { processId: "x" }, "string-id")).result).toEqual({ running: false });
    client.notify("something/unknown", {});
    expect((await client.request("process/terminate", { processId: "x" })).result).toEqual({ running: false });
  });

  test("handshake rules", async () => {
    const other = kind === "websocket" ? await ProtocolClient.connect(daemon) : undefined;
    if (!other) {
      // stdio has one connection per daemon: use a second daemon.
      const second = await startDaemon("stdio");
      try {
        await checkHandshake(ProtocolClient.overStdio(second));
      } finally {
        await second.stop();
      }
      return;
    }
    await checkHandshake(other);
    other.close();
  });
});

async function checkHandshake(c: ProtocolClient): Promise<void> {
  const early = await c.request("process/start", startParams("p", ["true"]));
  expect(early.error.code).toBe(-32600);
  expect(early.error.message).toContain("send initialize first");
  expect((await c.request("initialize", { clientName: "x" })).result).toMatchObject({ protocolVersion: "exec-server.v0" });
  const between = await c.request("process/read", { processId: "p" });
  expect(between.error.code).toBe(-32600);
  expect(between.error.message).toContain("initialized notification");
  c.notify("initialized");
  const again = await c.request("initialize", { clientName: "x" });
  expect(again.error.code).toBe(-32600);
  expect((await c.request("process/terminate", { processId: "p" })).result).toEqual({ running: false });
}

describe("connection lifetime", () => {
  test.each<TransportKind>(["stdio", "websocket"])("closing the %s connection kills children and grandchildren", async (kind) => {
    const daemon = await startDaemon(kind);
    const marker = join(mkdtempSync(join(tmpdir(), "exec-server-marker-")), "must-not-exist");
    try {
      const c = await ProtocolClient.connect(daemon);
      await c.handshake();
      const started = await c.call(
        "process/start",
        startParams("victim", ["sh", "-c", `(sleep 1.5; touch ${marker}) & sleep 1000`]),
      );
      const tty = await c.call("process/start", startParams("ptyvictim", ["sh", "-c", `(sleep 1.5; touch ${marker}.pty) & sleep 1000`], { tty: true }));
      await Bun.sleep(200);
      c.close();
      await Bun.sleep(2500);
      expect(existsSync(marker)).toBe(false);
      expect(existsSync(`${marker}.pty`)).toBe(false);
      expect(alive(started.pid)).toBe(false);
      expect(alive(tty.pid)).toBe(false);
    } finally {
      await daemon.stop();
    }
  });

  test("SIGTERM to the daemon kills every child, then it exits 0", async () => {
    const daemon = await startDaemon("websocket");
    const c = await ProtocolClient.connect(daemon);
    await c.handshake();
    const a = await c.call("process/start", startParams("a", ["sleep", "1000"]));
    const b = await c.call("process/start", startParams("b", ["sleep", "1000"], { tty: true }));
    expect(await daemon.stop()).toBe(0);
    expect(alive(a.pid)).toBe(false);
    expect(alive(b.pid)).toBe(false);
  });

  test("an over-size message closes its connection with a logged reason", async () => {
    const daemon = await startDaemon("stdio", ["--max-message-bytes", "1024"]);
    const c = ProtocolClient.overStdio(daemon);
    await c.handshake();
    c.sendRaw(JSON.stringify({ id: 5, method: "initialize", params: { clientName: "x".repeat(4096) } }));
    expect(await daemon.proc.exited).toBe(0);
    await daemon.stop();
    expect(daemon.stderr()).toContain("larger than the 1024-byte limit");
  });

  test("exited processes are forgotten after the retention period", async () => {
    const daemon = await startDaemon("stdio", ["--exited-retention-ms", "300"]);
    const c = ProtocolClient.overStdio(daemon);
    await c.handshake();
    await c.call("process/start", startParams("short", ["true"]));
    await c.waitExited("short");
    expect((await c.request("process/read", { processId: "short" })).result.exited).toBe(true);
    await Bun.sleep(600);
    expect((await c.request("process/read", { processId: "short" })).error.message).toBe("unknown process id short");
    c.close();
    await daemon.stop();
  });

  test("retention drops the oldest output and says so", async () => {
    const daemon = await startDaemon("stdio", ["--retained-output-bytes", "4096"]);
    const c = ProtocolClient.overStdio(daemon);
    await c.handshake();
    await c.call("process/start", startParams("many", ["sh", "-c", "for i in $(seq 1 200); do echo line-$i-padding-padding-padding; sleep 0.001; done"]));
    await c.waitExited("many");
    const read = await c.call("process/read", { processId: "many", afterSeq: 0 });
    expect(read.firstSeq).toBeGreaterThan(1);
    expect(read.droppedBytes).toBeGreaterThan(0);
    expect(read.chunks[0].seq).toBe(read.firstSeq);
    // Live notifications were not affected by retention: every line arrived.
    expect(c.output("many").toString().split("\n").filter(Boolean)).toHaveLength(200);
    c.close();
    await daemon.stop();
  });
});
