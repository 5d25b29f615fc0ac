import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ErrorCode } from "@x/exec-protocol";
import { ExecServer, listenWebSocket, type WebSocketListener } from "exec-server";
import { ClientErrorCode, ExecServerClient, ExecServerError, type ProcessHandle } from "../src/index.ts";
import { outputMatching, PATH } from "./support/output-helpers.ts";
import { OutputDigest, writeRandomFile } from "./support/random-file.ts";
import { startTcpProxy, type TcpProxy } from "./support/tcp-proxy.ts";

const MiB = 1024 * 1024;
const server = new ExecServer({ detachedSessionTtlMs: 5000, retainedOutputBytes: 32 * MiB });
let listener: WebSocketListener;
let proxy: TcpProxy;
let scratch: string;
let file: string;
let fileSha: string;

beforeAll(async () => {
  listener = listenWebSocket(server, { hostname: "127.0.0.1", port: 0, allowedOrigins: [] });
  proxy = startTcpProxy({ hostname: "127.0.0.1", port: listener.port });
  scratch = mkdtempSync(join(tmpdir(), "exec-client-attach-"));
  file = join(scratch, "random.bin");
  fileSha = await writeRandomFile(file, 8 * MiB);
});

afterAll(async () => {
  proxy.stop();
  await listener.stop();
  await server.shutdown();
  rmSync(scratch, { recursive: true, force: true });
});

const connect = (url = listener.url, resume = false) =>
  ExecServerClient.connectWebSocket({ url, clientName: "attach-test", resume });

/** Iterates a handle's whole output into a digest. */
async function digestOf(process: ProcessHandle, onChunk: (digest: OutputDigest) => void = () => {}): Promise<OutputDigest> {
  const digest = new OutputDigest();
  for await (const chunk of process.output()) {
    digest.add(chunk);
    onChunk(digest);
  }
  return digest;
}

/** A process that waits for a line on stdin, then prints the random file. */
const startGatedCat = (owner: ExecServerClient) =>
  owner.start({ processId: "shared", argv: ["sh", "-c", `read _; exec cat '${file}'`], pipeStdin: true });

describe("process/attach", () => {
  test("read mode sees the same bytes as the owner; its writes are refused; own ids do not collide", async () => {
    await using owner = await connect();
    await using watcher = await connect();
    const owned = await startGatedCat(owner);
    const attached = await watcher.attach({ sessionId: owner.sessionId!, processId: "shared", mode: "read" });
    expect([attached.sessionId, attached.mode, attached.running, attached.tty]).toEqual([owner.sessionId!, "read", true, false]);
    // The watcher's own "shared" is another process.
    const mine = await watcher.start({ processId: "shared", argv: ["echo", "the watcher's own"] });

    const ownerDigest = digestOf(owned);
    const watcherDigest = digestOf(attached);
    await owned.write("go\n");
    const [seenByOwner, seenByWatcher] = await Promise.all([ownerDigest, watcherDigest]);
    for (const digest of [seenByOwner, seenByWatcher]) {
      expect(digest.seqBreaks).toEqual([]);
      expect(digest.bytes).toBe(8 * MiB);
      expect(digest.hex()).toBe(fileSha);
    }
    expect(seenByWatcher.lastSeq).toBe(seenByOwner.lastSeq);
    expect(await attached.exited).toEqual({ exitCode: 0, signal: null });
    expect(await mine.text()).toBe("the watcher's own\n");

    for (const refused of [attached.write("x"), attached.signal("SIGTERM"), attached.closeStdin(), attached.terminate()]) {
      const error = await refused.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ExecServerError);
      expect((error as ExecServerError).code).toBe(ErrorCode.InvalidRequest);
      expect((error as ExecServerError).message).toContain("read-only");
    }
    // Reads of another session's process carry its sessionId.
    expect((await attached.read({ afterSeq: seenByOwner.lastSeq - 1 })).chunks.map((c) => c.seq)).toEqual([seenByOwner.lastSeq]);
  });

  test("write mode can write, resize and terminate; both sides see it", async () => {
    await using owner = await connect();
    await using helper = await connect();
    const shell = await owner.start({
      processId: "term",
      argv: ["bash", "--noprofile", "--norc"],
      tty: true,
      env: { PATH, PS1: "$ ", HOME: scratch },
    });
    const attached = await helper.attach({ sessionId: owner.sessionId!, processId: "term", mode: "write", afterSeq: 0 });
    expect(attached.tty).toBe(true);
    await attached.resize(91, 19);
    await attached.write("stty size\n");
    await outputMatching(shell, /19 91/);
    await outputMatching(attached, /19 91/);
    await attached.write("exit 3\n");
    expect(await shell.exited).toEqual({ exitCode: 3, signal: null });
    expect(await attached.exited).toEqual({ exitCode: 3, signal: null });
    const ownerText = await shell.text();
    expect(await attached.text()).toBe(ownerText);

    const sleeper = await owner.start({ processId: "sleeper", argv: ["sleep", "30"] });
    const driver = await helper.attach({ sessionId: owner.sessionId!, processId: "sleeper", mode: "write" });
    expect(await driver.terminate()).toEqual({ running: true });
    expect(await sleeper.exited).toEqual({ exitCode: 137, signal: "SIGKILL" });
  });

  test("detach ends the handle's iterators and stops the stream; the process goes on", async () => {
    await using owner = await connect();
    await using watcher = await connect();
    const cat = await owner.start({ processId: "cat", argv: ["cat"], pipeStdin: true });
    await cat.write("before\n");
    const attached = await watcher.attach({ sessionId: owner.sessionId!, processId: "cat", mode: "read" });
    let outputEvents = 0;
    watcher.on("output", (event) => {
      expect(event.sessionId).toBe(owner.sessionId!);
      outputEvents++;
    });
    await outputMatching(attached, /before\n/);
    const iterating = (async () => {
      let text = "";
      for await (const chunk of attached.output()) text += new TextDecoder().decode(chunk.data);
      return text;
    })();
    const exited = attached.exited.catch((error: unknown) => error);
    await attached.detach();
    expect(await iterating).toBe("before\n");
    expect(((await exited) as ExecServerError).code).toBe(ClientErrorCode.Detached);
    const seen = outputEvents;
    await cat.write("after\n");
    await outputMatching(cat, /after\n/);
    await Bun.sleep(100);
    expect(outputEvents).toBe(seen);
    await attached.detach(); // idempotent
    // The same process can be attached again, from where the watcher stopped.
    const again = await watcher.attach({ sessionId: owner.sessionId!, processId: "cat", mode: "read", afterSeq: 1 });
    await outputMatching(again, /^after\n$/);
    await cat.closeStdin();
    expect(await again.exited).toEqual({ exitCode: 0, signal: null });
  });

  test("a resumable watcher whose socket drops is attached again and misses nothing", async () => {
    await using owner = await connect();
    await using watcher = await connect(proxy.url, true);
    // Two halves, each after a line on stdin: the second is printed only once the watcher is back.
    const half = 4 * MiB;
    const script = `read _; head -c ${half} '${file}'; read _; tail -c +${half + 1} '${file}'`;
    const owned = await owner.start({ processId: "halves", argv: ["sh", "-c", script], pipeStdin: true });
    const attached = await watcher.attach({ sessionId: owner.sessionId!, processId: "halves", mode: "read" });
    const reconnected = new Promise((resolve) => watcher.on("reconnect", resolve));
    let cut = false;
    let firstHalfSeen: () => void;
    const firstHalf = new Promise<void>((resolve) => (firstHalfSeen = resolve));
    const watcherDigest = digestOf(attached, (digest) => {
      if (!cut && digest.bytes >= MiB) {
        cut = true;
        proxy.cut(); // mid first half: some of it may be in flight
      }
      if (digest.bytes === half) firstHalfSeen();
    });
    const ownerDigest = digestOf(owned);
    await owned.write("go\n");
    await reconnected;
    await firstHalf;
    await owned.write("go\n");
    const [seenByOwner, seenByWatcher] = await Promise.all([ownerDigest, watcherDigest]);
    expect(seenByWatcher.seqBreaks).toEqual([]);
    expect(seenByWatcher.bytes).toBe(8 * MiB);
    expect(seenByWatcher.hex()).toBe(fileSha);
    expect(seenByOwner.hex()).toBe(fileSha);
    expect(seenByWatcher.lastSeq).toBe(seenByOwner.lastSeq);
    expect(await attached.exited).toEqual({ exitCode: 0, signal: null });
  });

  test("attaching to an unknown session or one's own session is refused", async () => {
    await using client = await connect();
    await client.start({ processId: "p", argv: ["true"] });
    // (Not `expect(promise).rejects`: with the server in this process, bun reports its handled rejection.)
    const attachUnknown = () => client.attach({ sessionId: "no-such-session", processId: "p", mode: "read" }).catch((e: Error) => e);
    const unknown = (await attachUnknown()) as ExecServerError;
    expect([unknown.code, unknown.message]).toEqual([ErrorCode.InvalidRequest, "unknown or expired session no-such-session"]);
    // A failed attach leaves nothing behind: asking again reaches the server again (not "already attached").
    expect(((await attachUnknown()) as ExecServerError).message).toBe(unknown.message);
    const own = await client.attach({ sessionId: client.sessionId!, processId: "p", mode: "read" }).catch((e: Error) => e);
    expect((own as ExecServerError).message).toContain("own session");
  });
});
