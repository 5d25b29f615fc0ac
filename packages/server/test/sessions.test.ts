import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LeakGuard } from "@x/exec-test-kit/leak-guard.ts";
import { startDaemon, type Daemon } from "@x/exec-test-kit/daemon.ts";
import { ProtocolClient } from "@x/exec-test-kit/protocol-client.ts";
import { alive } from "@x/exec-test-kit/proc-tree.ts";
import { b64, startParams, type Json } from "@x/exec-test-kit/start-params.ts";

let daemon: Daemon;
let scratch: string;
const guard = new LeakGuard();

beforeAll(async () => {
  // Retention must cover what can be in flight when a socket drops: the daemon's send queue, both
  // kernel socket buffers and what a closing client read and discarded: here, the whole 64 MiB stream.
  daemon = await startDaemon("websocket", ["--retained-output-bytes", String(96 << 20), "--detached-session-ttl", "2"]);
  guard.trackDaemon(daemon.proc.pid);
  scratch = mkdtempSync(join(tmpdir(), "exec-server-sessions-"));
});

afterAll(async () => {
  await guard.assertClean(10_000);
  await daemon.stop();
  await guard.assertClean();
  rmSync(scratch, { recursive: true, force: true });
});

async function connect(params: Json = {}): Promise<{ client: ProtocolClient; sessionId: string }> {
  const client = await ProtocolClient.connect(daemon);
  const result = await client.call("initialize", { clientName: "sessions-test", ...params });
  client.notify("initialized");
  return { client, sessionId: result.sessionId };
}

/** The last output seq a client saw of a process. */
function lastSeen(client: ProtocolClient, processId: string): number {
  return Math.max(0, ...client.notifications("process/output", processId).map((n) => n.seq));
}

/** Live output seen before the drop up to `seenSeq`, then live output after resume: by seq, checked gapless. */
async function outputAcrossResume(before: ProtocolClient, after: ProtocolClient, processId: string, seenSeq: number): Promise<Buffer> {
  await after.waitFor((m) => m.method === "process/closed" && m.params.processId === processId, 60_000);
  const chunks = [
    ...before.notifications("process/output", processId).filter((n) => n.seq <= seenSeq),
    ...after.notifications("process/output", processId),
  ];
  expect(chunks.map((n) => n.seq)).toEqual(chunks.map((_, i) => i + 1));
  expect(after.notifications("process/outputSkipped", processId)).toEqual([]);
  return Buffer.concat(chunks.map((n) => Buffer.from(n.chunk, "base64")));
}

const sha = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");

describe("resume", () => {
  test("dropping the socket mid 64 MiB pipe stream loses nothing after resume", async () => {
    const file = join(scratch, "big.bin");
    const data = new Uint8Array(64 << 20);
    for (let offset = 0; offset < data.length; offset += 65536) crypto.getRandomValues(data.subarray(offset, offset + 65536));
    await Bun.write(file, data);
    const first = await connect({ resumable: true });
    await first.client.call("process/start", startParams("big", ["cat", file]));
    await first.client.waitFor(() => first.client.notifications("process/output", "big").length > 20);
    first.client.close();
    await Bun.sleep(200);
    const seen = lastSeen(first.client, "big");
    const second = await connect({ resumeSessionId: first.sessionId, resumeFrom: { big: seen } });
    const output = await outputAcrossResume(first.client, second.client, "big", seen);
    expect(output.length).toBe(data.length);
    expect(sha(output)).toBe(sha(data));
    const listed = await second.client.call("process/list", {});
    expect(listed.processes[0]).toMatchObject({ processId: "big", exitCode: 0 });
    second.client.close();
  });

  test("dropping the socket during a PTY program: resumed output equals what it printed", async () => {
    const first = await connect({ resumable: true });
    const script = "for i in $(seq 1 3000); do echo line-$i; done; sleep 0.5; echo done; exit 7";
    await first.client.call("process/start", startParams("pty", ["bash", "--noprofile", "--norc", "-c", script], { tty: true }));
    await first.client.waitFor(() => first.client.output("pty").toString().includes("line-10\r\n"));
    first.client.close();
    await Bun.sleep(300);
    const seen = lastSeen(first.client, "pty");
    const second = await connect({ resumeSessionId: first.sessionId, resumeFrom: { pty: seen } });
    const output = await outputAcrossResume(first.client, second.client, "pty", seen);
    const expected = [...Array.from({ length: 3000 }, (_, i) => `line-${i + 1}`), "done", ""].join("\r\n");
    expect(output.toString()).toBe(expected);
    expect((await second.client.call("process/wait", { processId: "pty", timeoutMs: 5000 })).exitCode).toBe(7);
    second.client.close();
  });

  test("resuming a session attached elsewhere is -32010; an unknown one is -32600", async () => {
    const owner = await connect({ resumable: true });
    const other = await ProtocolClient.connect(daemon);
    const busy = await other.request("initialize", { clientName: "x", resumeSessionId: owner.sessionId });
    expect(busy.error.code).toBe(-32010);
    const unknown = await other.request("initialize", { clientName: "x", resumeSessionId: "no-such-session" });
    expect(unknown.error).toMatchObject({ code: -32600, message: "unknown or expired session no-such-session" });
    other.close();
    owner.client.close();
  });

  test("when the TTL passes every process of the session dies; the session is gone", async () => {
    const first = await connect({ resumable: true });
    const a = await first.client.call("process/start", startParams("a", ["sleep", "1000"]));
    const b = await first.client.call("process/start", startParams("b", ["bash", "--noprofile", "--norc"], { tty: true }));
    first.client.close();
    await Bun.sleep(1000);
    expect(alive(a.pid) && alive(b.pid)).toBe(true);
    await Bun.sleep(2000);
    expect(alive(a.pid)).toBe(false);
    expect(alive(b.pid)).toBe(false);
    const late = await ProtocolClient.connect(daemon);
    expect((await late.request("initialize", { clientName: "x", resumeSessionId: first.sessionId })).error.code).toBe(-32600);
    late.close();
  });

  test("a client that does not ask for resumable keeps v0 behaviour: processes die with the connection", async () => {
    const plain = await connect();
    const started = await plain.client.call("process/start", startParams("v0", ["sleep", "1000"]));
    plain.client.close();
    for (let i = 0; i < 100 && alive(started.pid); i++) await Bun.sleep(20);
    expect(alive(started.pid)).toBe(false);
  });
});

describe("attach", () => {
  test("a read-mode attachment sees the same bytes as the owner and cannot write", async () => {
    const owner = await connect();
    await owner.client.call("process/start", startParams("shared", ["cat"], { pipeStdin: true }));
    await owner.client.call("process/write", { processId: "shared", chunk: b64("first\n") });
    await owner.client.waitFor(() => owner.client.output("shared").toString() === "first\n");

    const watcher = await connect();
    const attached = await watcher.client.call("process/attach", { sessionId: owner.sessionId, processId: "shared", mode: "read" });
    expect(attached).toMatchObject({ sessionId: owner.sessionId, processId: "shared", tty: false, running: true });
    await owner.client.call("process/write", { processId: "shared", chunk: b64("second\n") });
    const denied = await watcher.client.request("process/write", { processId: "shared", sessionId: owner.sessionId, chunk: b64("x") });
    expect(denied.error.message).toContain("read-only");
    await owner.client.call("process/closeStdin", { processId: "shared" });
    await owner.client.waitExited("shared");
    const exited = await watcher.client.waitFor((m) => m.method === "process/exited" && m.params.sessionId === owner.sessionId);
    expect(exited.params).toMatchObject({ processId: "shared", exitCode: 0 });
    expect(watcher.client.output("shared").toString()).toBe(owner.client.output("shared").toString());
    expect(watcher.client.output("shared").toString()).toBe("first\nsecond\n");
    // Its own namespace is untouched: "shared" is not one of the watcher's processes.
    expect((await watcher.client.request("process/read", { processId: "shared" })).error.message).toBe("unknown process id shared");
    owner.client.close();
    watcher.client.close();
  });

  test("a write-mode attachment can write, resize and signal; detach stops the stream", async () => {
    const owner = await connect();
    await owner.client.call("process/start", startParams("term", ["bash", "--noprofile", "--norc"], { tty: true, env: { PATH: "/usr/bin:/bin", PS1: "$ " } }));
    const helper = await connect();
    await helper.client.call("process/attach", { sessionId: owner.sessionId, processId: "term", mode: "write", afterSeq: 0 });
    const ref = { processId: "term", sessionId: owner.sessionId };
    await helper.client.call("process/resize", { ...ref, cols: 91, rows: 19 });
    await helper.client.call("process/write", { ...ref, chunk: b64("stty size\n") });
    await owner.client.waitFor(() => owner.client.output("term").toString().includes("19 91"));
    const snapshot = await helper.client.call("process/snapshot", ref);
    expect(snapshot.screen).toMatchObject({ cols: 91, rows: 19 });
    await helper.client.call("process/detach", ref);
    const count = helper.client.notifications("process/output", "term").length;
    await owner.client.call("process/write", { processId: "term", chunk: b64("echo after-detach\n") });
    await owner.client.waitFor(() => owner.client.output("term").toString().includes("after-detach\r\n"));
    await Bun.sleep(100);
    expect(helper.client.notifications("process/output", "term").length).toBe(count);
    await helper.client.call("process/signal", { ...ref, signal: "SIGKILL" }).catch((error: Error) => {
      expect(error.message).toContain("not attached");
    });
    owner.client.close();
    helper.client.close();
  });

  test("an attached reader hears exited and closed when the owning session ends", async () => {
    const owner = await connect();
    const started = await owner.client.call("process/start", startParams("doomed", ["sleep", "1000"]));
    const watcher = await connect();
    await watcher.client.call("process/attach", { sessionId: owner.sessionId, processId: "doomed", mode: "read" });
    owner.client.close();
    const exited = await watcher.client.waitFor((m) => m.method === "process/exited" && m.params.processId === "doomed");
    expect(exited.params).toMatchObject({ sessionId: owner.sessionId, exitCode: 137, signal: "SIGKILL" });
    await watcher.client.waitFor((m) => m.method === "process/closed" && m.params.processId === "doomed");
    expect(alive(started.pid)).toBe(false);
    watcher.client.close();
  });

  test("a reader that stops reading does not slow the owner", async () => {
    const owner = await connect();
    await owner.client.call("process/start", startParams("fast", ["sh", "-c", "sleep 0.5; head -c 33554432 /dev/zero"]));
    const reader = Bun.spawn(["bun", join(import.meta.dir, "support", "attach-client.ts"), daemon.url!, owner.sessionId, "fast"], {
      stdout: "pipe",
      stderr: "inherit",
    });
    const lines = reader.stdout.getReader();
    expect(new TextDecoder().decode((await lines.read()).value)).toContain("attached");
    reader.kill("SIGSTOP");
    const exited = await owner.client.waitExited("fast", 30_000);
    expect(exited.exitCode).toBe(0);
    expect(owner.client.output("fast").length).toBe(32 << 20);
    reader.kill("SIGKILL");
    await reader.exited;
    owner.client.close();
  });
});
