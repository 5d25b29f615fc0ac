import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync, existsSync, chmodSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { ExecServerClient } from "@x/exec-client";
import { ErrorCode, encodeBase64 } from "@x/exec-protocol";
import { LeakGuard } from "@x/exec-test-kit/leak-guard.ts";
import type { Daemon } from "@x/exec-test-kit/daemon.ts";
import { expectRpcError, machineDaemon, scratchDir } from "./machine-daemon.ts";

const scratch = scratchDir("fs");
const guard = new LeakGuard();
let daemon: Daemon;
let client: ExecServerClient;
const MAX_MESSAGE = 4 * 1024 * 1024;
const at = (...parts: string[]) => join(scratch.path, ...parts);
const uri = (...parts: string[]) => pathToFileURL(at(...parts)).href;

beforeAll(async () => {
  const started = await machineDaemon(["--fs-root", scratch.path, "--max-message-bytes", String(MAX_MESSAGE)]);
  daemon = started.daemon;
  client = await started.connect();
  // Baseline with this client's socket open: what others open must be gone after they close.
  guard.trackDaemon(daemon.proc.pid);
});

afterAll(async () => {
  await client.close();
  await guard.assertCleanAround(() => daemon.stop());
  scratch.dispose();
});

describe("paths", () => {
  test("file: URIs and absolute paths both work; relative paths are -32602", async () => {
    await client.fs.writeFile(uri("p.txt"), "by uri");
    expect(readFileSync(at("p.txt"), "utf8")).toBe("by uri");
    expect(await client.fs.readTextFile(at("p.txt"))).toBe("by uri");
    for (const bad of ["p.txt", "./p.txt", "", "file://remote-host/etc/passwd"]) {
      await expectRpcError(client.fs.readFile(bad), ErrorCode.InvalidParams);
    }
    await expectRpcError(client.fs.readFile(`${at("p.txt")}\0x`), ErrorCode.InvalidParams);
  });

  test("canonicalize answers in the form it was asked", async () => {
    mkdirSync(at("canon", "real"), { recursive: true });
    symlinkSync(at("canon", "real"), at("canon", "link"));
    expect(await client.fs.canonicalize(at("canon", "link"))).toBe(at("canon", "real"));
    expect(await client.fs.canonicalize(uri("canon", "link", "..", "link"))).toBe(uri("canon", "real"));
    await expectRpcError(client.fs.canonicalize(at("canon", "missing")), ErrorCode.OsError, "ENOENT");
  });
});

describe("whole files", () => {
  test("writeFile / readFile round trip bytes, with offset and length", async () => {
    const bytes = new Uint8Array(70_000).map((_, i) => (i * 7) & 0xff);
    await client.fs.writeFile(at("bin"), bytes);
    expect(new Uint8Array(readFileSync(at("bin")))).toEqual(bytes);
    expect(await client.fs.readFile(at("bin"))).toEqual(bytes);
    expect(await client.fs.readFile(at("bin"), { offset: 1000, length: 10 })).toEqual(bytes.subarray(1000, 1010));
    expect(await client.fs.readFile(at("bin"), { offset: 69_995 })).toEqual(bytes.subarray(69_995));
    expect(await client.fs.readFile(at("bin"), { offset: 1_000_000 })).toEqual(new Uint8Array(0));
  });

  test("writeFile mode, createOnly and atomic", async () => {
    await client.fs.writeFile(at("mode.sh"), "#!/bin/sh\n", { mode: 0o750 });
    expect(statSync(at("mode.sh")).mode & 0o777).toBe(0o750);
    await expectRpcError(client.fs.writeFile(at("mode.sh"), "x", { createOnly: true }), ErrorCode.OsError, "EEXIST");
    await expectRpcError(client.fs.writeFile(at("mode.sh"), "x", { createOnly: true, atomic: true }), ErrorCode.OsError, "EEXIST");
    await client.fs.writeFile(at("fresh"), "new", { createOnly: true });
    await client.fs.writeFile(at("fresh"), "replaced atomically", { atomic: true });
    expect(readFileSync(at("fresh"), "utf8")).toBe("replaced atomically");
    // No temporary file left beside it.
    expect((await client.fs.readDir(scratch.path)).filter((e) => e.fileName.includes(".tmp"))).toEqual([]);
  });

  test("readFile / writeFile OS errors carry the OS code", async () => {
    mkdirSync(at("dir"), { recursive: true });
    await expectRpcError(client.fs.readFile(at("dir")), ErrorCode.OsError, "EISDIR");
    await expectRpcError(client.fs.readFile(at("nope")), ErrorCode.OsError, "ENOENT");
    await expectRpcError(client.fs.writeFile(at("no", "such", "dir", "f"), "x"), ErrorCode.OsError, "ENOENT");
    await expectRpcError(client.fs.writeFile(at("p.txt", "under-a-file"), "x"), ErrorCode.OsError, "ENOTDIR");
    writeFileSync(at("locked"), "secret");
    chmodSync(at("locked"), 0);
    if (process.getuid?.() !== 0) await expectRpcError(client.fs.readFile(at("locked")), ErrorCode.OsError, "EACCES");
    const error = await expectRpcError(client.fs.readFile(uri("nope")), ErrorCode.OsError, "ENOENT");
    expect(error.data).toMatchObject({ code: "ENOENT", errno: 2, path: uri("nope"), syscall: "open" });
  });

  test("a file bigger than --max-message-bytes is refused whole, with a pointer to blocks", async () => {
    writeFileSync(at("big"), new Uint8Array(MAX_MESSAGE + 1));
    const error = await expectRpcError(client.fs.readFile(at("big")), ErrorCode.LimitExceeded);
    expect(error.message).toContain("fs/readBlock");
    expect(error.data).toEqual({ limit: "--max-message-bytes", value: MAX_MESSAGE });
    expect((await client.fs.readFile(at("big"), { offset: MAX_MESSAGE - 2 })).length).toBe(3);
  });

  test("invalid params are -32602 with the field named", async () => {
    const error = await expectRpcError(client.request("fs/writeFile", { path: at("x") } as never), ErrorCode.InvalidParams);
    expect(error.message).toContain("dataBase64");
    await expectRpcError(client.request("fs/writeFile", { path: at("x"), dataBase64: "abc" }), ErrorCode.InvalidParams);
    await expectRpcError(client.request("fs/readBlock", { handleId: "h", offset: 0, len: 2 * 1024 * 1024 }), ErrorCode.InvalidParams);
  });
});

describe("directories", () => {
  test("createDirectory, readDirectory, getMetadata", async () => {
    await client.fs.mkdir(at("tree", "a", "b"), { recursive: true });
    await client.fs.mkdir(at("tree", "a", "b"), { recursive: true });
    await expectRpcError(client.fs.mkdir(at("tree", "a")), ErrorCode.OsError, "EEXIST");
    await expectRpcError(client.fs.mkdir(at("tree", "x", "y")), ErrorCode.OsError, "ENOENT");
    writeFileSync(at("tree", "a", "f"), "12345");
    symlinkSync("f", at("tree", "a", "l"));
    const names = (await client.fs.readDir(at("tree", "a"))).sort((x, y) => x.fileName.localeCompare(y.fileName));
    expect(names).toEqual([
      { fileName: "b", isDirectory: true, isFile: false, isSymlink: false },
      { fileName: "f", isDirectory: false, isFile: true, isSymlink: false },
      { fileName: "l", isDirectory: false, isFile: false, isSymlink: true },
    ]);
    await expectRpcError(client.fs.readDir(at("tree", "a", "f")), ErrorCode.OsError, "ENOTDIR");
    await expectRpcError(client.fs.readDir(at("tree", "none")), ErrorCode.OsError, "ENOENT");
    const file = await client.fs.stat(at("tree", "a", "f"));
    expect(file).toMatchObject({ isFile: true, isDirectory: false, isSymlink: false, size: 5 });
    expect(Math.abs(file.modifiedAtMs - statSync(at("tree", "a", "f")).mtimeMs)).toBeLessThan(1);
    expect(await client.fs.stat(at("tree", "a", "l"))).toMatchObject({ isFile: true, isSymlink: true, size: 5 });
    expect(await client.fs.stat(at("tree", "a"))).toMatchObject({ isDirectory: true, isFile: false });
    symlinkSync("nowhere", at("tree", "a", "dangling"));
    expect(await client.fs.stat(at("tree", "a", "dangling"))).toMatchObject({ isSymlink: true, isFile: false, isDirectory: false });
    await expectRpcError(client.fs.stat(at("tree", "zzz")), ErrorCode.OsError, "ENOENT");
    expect(await client.fs.exists(at("tree", "zzz"))).toBe(false);
  });

  test("remove: files, recursive, force, errors; an --fs-root itself is kept", async () => {
    await client.fs.mkdir(at("rm", "d", "e"), { recursive: true });
    writeFileSync(at("rm", "d", "e", "f"), "x");
    await expectRpcError(client.fs.remove(at("rm", "d")), ErrorCode.OsError);
    await expectRpcError(client.fs.remove(at("rm", "missing")), ErrorCode.OsError, "ENOENT");
    await client.fs.remove(at("rm", "missing"), { force: true });
    await client.fs.remove(at("rm", "d", "e", "f"));
    expect(existsSync(at("rm", "d", "e", "f"))).toBe(false);
    await client.fs.remove(at("rm"), { recursive: true });
    expect(existsSync(at("rm"))).toBe(false);
    for (const root of [scratch.path, `${scratch.path}/`, `${scratch.path}//`, `${scratch.path}/tree/..`, pathToFileURL(`${scratch.path}/`).href]) {
      await expectRpcError(client.fs.remove(root, { recursive: true }), ErrorCode.InvalidRequest);
    }
    expect(existsSync(scratch.path)).toBe(true);
  });

  test("copy and rename", async () => {
    await client.fs.mkdir(at("cp", "src", "in"), { recursive: true });
    writeFileSync(at("cp", "src", "in", "f"), "deep");
    symlinkSync("in/f", at("cp", "src", "link"));
    await expectRpcError(client.fs.copy(at("cp", "src"), at("cp", "dst")), ErrorCode.OsError, "EISDIR");
    await client.fs.copy(at("cp", "src"), at("cp", "dst"), { recursive: true });
    expect(readFileSync(at("cp", "dst", "in", "f"), "utf8")).toBe("deep");
    expect(readFileSync(at("cp", "dst", "link"), "utf8")).toBe("deep");
    await client.fs.copy(at("cp", "src", "in", "f"), at("cp", "one"));
    expect(readFileSync(at("cp", "one"), "utf8")).toBe("deep");
    await expectRpcError(client.fs.copy(at("cp", "none"), at("cp", "x")), ErrorCode.OsError, "ENOENT");
    await client.fs.rename(at("cp", "one"), at("cp", "two"));
    expect(existsSync(at("cp", "one"))).toBe(false);
    expect(readFileSync(at("cp", "two"), "utf8")).toBe("deep");
    await expectRpcError(client.fs.rename(at("cp", "one"), at("cp", "three")), ErrorCode.OsError, "ENOENT");
    await expectRpcError(client.fs.rename(at("cp", "dst"), at("cp", "two", "x")), ErrorCode.OsError, "ENOTDIR");
  });

  test("walk is bounded by depth and entries and never follows links", async () => {
    for (let i = 0; i < 5; i++) mkdirSync(at("walk", `d${i}`, "x", "y"), { recursive: true });
    symlinkSync("/", at("walk", "root-link"));
    const all = await client.fs.walk(at("walk"));
    expect(all.truncated).toBe(false);
    expect(all.entries.length).toBe(16);
    expect(all.entries.find((e) => e.path === "root-link")).toMatchObject({ isSymlink: true, isDirectory: false });
    expect(all.entries.find((e) => e.path === "d3/x/y")).toMatchObject({ depth: 2, isDirectory: true });
    const shallow = await client.fs.walk(at("walk"), { maxDepth: 0 });
    expect(shallow.entries.length).toBe(6);
    expect(shallow.truncated).toBe(true);
    const few = await client.fs.walk(at("walk"), { maxEntries: 3 });
    expect(few.entries.length).toBe(3);
    expect(few.truncated).toBe(true);
    await expectRpcError(client.fs.walk(at("walk", "none")), ErrorCode.OsError, "ENOENT");
    await expectRpcError(client.request("fs/walk", { path: at("walk"), options: { maxEntries: 0 } }), ErrorCode.InvalidParams);
  });
});

describe("handles", () => {
  test("open / readBlock / writeBlock / close, and their errors", async () => {
    const r = await client.request("fs/open", { handleId: "h1", path: at("bin") });
    expect(r).toEqual({ handleId: "h1", size: 70_000 });
    await expectRpcError(client.request("fs/open", { handleId: "h1", path: at("bin") }), ErrorCode.InvalidRequest);
    const first = await client.request("fs/readBlock", { handleId: "h1", offset: 0, len: 65_536 });
    expect(first.eof).toBe(false);
    const last = await client.request("fs/readBlock", { handleId: "h1", offset: 65_536, len: 65_536 });
    expect(last.eof).toBe(true);
    expect(Buffer.from(last.chunk, "base64").length).toBe(70_000 - 65_536);
    const exact = await client.request("fs/readBlock", { handleId: "h1", offset: 69_000, len: 1000 });
    expect(exact.eof).toBe(true);
    await expectRpcError(client.request("fs/writeBlock", { handleId: "h1", offset: 0, chunk: encodeBase64(new Uint8Array(1)) }), ErrorCode.InvalidRequest);
    await client.request("fs/close", { handleId: "h1" });
    await expectRpcError(client.request("fs/close", { handleId: "h1" }), ErrorCode.InvalidRequest);
    await expectRpcError(client.request("fs/readBlock", { handleId: "h1", offset: 0, len: 1 }), ErrorCode.InvalidRequest);
    await expectRpcError(client.request("fs/open", { handleId: "h2", path: at("nope") }), ErrorCode.OsError, "ENOENT");
    await expectRpcError(client.request("fs/open", { handleId: "h2", path: at("dir") }), ErrorCode.OsError, "EISDIR");

    writeFileSync(at("replace-me"), "old content that is longer");
    await client.request("fs/open", { handleId: "w", path: at("replace-me"), mode: "replace" });
    await client.request("fs/writeBlock", { handleId: "w", offset: 0, chunk: encodeBase64(new TextEncoder().encode("new")) });
    const tooBig = await expectRpcError(
      client.request("fs/writeBlock", { handleId: "w", offset: 3, chunk: encodeBase64(new Uint8Array(1024 * 1024 + 1)) }),
      ErrorCode.LimitExceeded,
    );
    expect(tooBig.data).toEqual({ limit: "blockBytes", value: 1024 * 1024 });
    await client.request("fs/close", { handleId: "w" });
    expect(readFileSync(at("replace-me"), "utf8")).toBe("new");
  });

  test("at most 128 open handles per connection; they close with the connection", async () => {
    const extra = await machineClient();
    for (let i = 0; i < 128; i++) await extra.request("fs/open", { handleId: `h${i}`, path: at("bin") });
    const tooMany = await expectRpcError(extra.request("fs/open", { handleId: "h128", path: at("bin") }), ErrorCode.LimitExceeded);
    expect(tooMany.data).toEqual({ limit: "openHandles", value: 128 });
    await extra.request("fs/close", { handleId: "h0" });
    await extra.request("fs/open", { handleId: "h128", path: at("bin") });
    await extra.close();
    // The fd baseline check in afterAll sees any handle the server kept.
    await guard.assertClean();
  });

  test("openRead / openWrite stream a file of several blocks", async () => {
    const bytes = new Uint8Array(3 * 1024 * 1024 + 12_345).map((_, i) => (i * 31 + (i >> 11)) & 0xff);
    const writer = client.fs.openWrite(at("streamed"));
    // Writes of odd sizes are regrouped into blocks.
    await new Blob([bytes]).stream().pipeTo(writer);
    expect(new Uint8Array(readFileSync(at("streamed")))).toEqual(bytes);
    const back = new Uint8Array(await new Response(client.fs.openRead(at("streamed"), { inFlight: 3 })).arrayBuffer());
    expect(back).toEqual(bytes);
    const failing = client.fs.openRead(at("nope"));
    await expect(new Response(failing).arrayBuffer()).rejects.toMatchObject({ code: ErrorCode.OsError });
  });
});

describe("upstream process shapes", () => {
  test("process/start takes a file: URI cwd; write answers status; signal takes interrupt", async () => {
    const cat = await client.start({ argv: ["sh", "-c", "pwd; exec cat"], cwd: uri("tree"), env: { PATH: "/usr/bin:/bin" }, pipeStdin: true });
    expect(await client.request("process/write", { processId: cat.id, chunk: encodeBase64(new TextEncoder().encode("x\n")) })).toEqual({
      accepted: true,
      status: "accepted",
    });
    const unknown = await expectRpcError(client.request("process/write", { processId: "nope", chunk: "" }), ErrorCode.InvalidRequest);
    expect(unknown.data).toEqual({ status: "unknownProcess" });
    // Both lines out first: the interrupt must not race the shell's pwd.
    expect((await cat.wait({ timeoutMs: 10_000, afterSeq: 0, until: { pattern: "\nx\n" } })).matched).toBe(true);
    await cat.signal("interrupt");
    expect((await cat.exited).signal).toBe("SIGINT");
    expect((await cat.communicate()).stdout).toBe(`${at("tree")}\nx\n`);
    await expectRpcError(client.start({ argv: ["true"], cwd: "/", env: {} }), ErrorCode.OutsideFsRoot);
  });

  test("environment/info", async () => {
    const info = await client.environment();
    expect(info.shell.path).toStartWith("/");
    expect(info.shell.name).toBe(info.shell.path.split("/").pop()!);
    expect(info.cwd).toStartWith("file:///");
    expect(info).toMatchObject({ os: process.platform, arch: process.arch, uid: process.getuid!(), fsRoots: [scratch.path] });
    expect(info.capabilities).toContain("fs/watch");
    expect(info.capabilities).toContain("process/snapshot");
    expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
  });
});

async function machineClient(): Promise<ExecServerClient> {
  const { ExecServerClient } = await import("@x/exec-client");
  return ExecServerClient.connectWebSocket({ url: daemon.url!, clientName: "second" });
}

describe("other transports", () => {
  test("stdio and in-process clients reach the same methods", async () => {
    const { spawnLocalExecServer } = await import("@x/exec-client");
    const { connectInProcess } = await import("@x/exec-client");
    const { SERVER_BIN } = await import("@x/exec-test-kit/daemon.ts");
    await using stdio = await spawnLocalExecServer({ args: [SERVER_BIN, "--fs-root", scratch.path], stderr: "ignore" });
    await stdio.client.fs.writeFile(uri("via-stdio"), "stdio");
    expect(await stdio.client.fs.readTextFile(at("via-stdio"))).toBe("stdio");
    await expectRpcError(stdio.client.fs.readFile("/etc/hostname"), ErrorCode.OutsideFsRoot);
    const watch = await stdio.client.fs.watch(scratch.path);
    await stdio.client.fs.writeFile(at("via-stdio-2"), "x");
    for await (const change of watch) {
      expect(change).toEqual({ kind: "created", path: at("via-stdio-2") });
      break;
    }
    await using local = await connectInProcess({ config: { fsRoots: [scratch.path] } });
    expect(await local.fs.readTextFile(at("via-stdio"))).toBe("stdio");
    expect((await local.environment()).fsRoots).toEqual([scratch.path]);
  });
});
