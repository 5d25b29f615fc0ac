import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { appendFileSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { ExecServerClient, FsWatch } from "@x/exec-client";
import { ErrorCode, type FsChange } from "@x/exec-protocol";
import type { Daemon } from "@x/exec-test-kit/daemon.ts";
import { LeakGuard } from "@x/exec-test-kit/leak-guard.ts";
import { expectRpcError, machineDaemon, scratchDir } from "./machine-daemon.ts";

const scratch = scratchDir("fs-watch");
const guard = new LeakGuard();
let daemon: Daemon;
let client: ExecServerClient;
const at = (...parts: string[]) => join(scratch.path, ...parts);

beforeAll(async () => {
  const started = await machineDaemon(["--fs-root", scratch.path]);
  daemon = started.daemon;
  client = await started.connect();
  // Bun keeps one inotify descriptor for the process once a watch existed: part of the baseline.
  await (await client.fs.watch(scratch.path)).close();
  guard.trackDaemon(daemon.proc.pid);
});

afterAll(async () => {
  await client.close();
  await guard.assertCleanAround(() => daemon.stop());
  scratch.dispose();
});

/** Collects a watch's changes in the background. */
function collect(watch: FsWatch): { changes: FsChange[]; until(predicate: (all: FsChange[]) => boolean, ms?: number): Promise<void> } {
  const changes: FsChange[] = [];
  void (async () => {
    for await (const change of watch) changes.push(change);
  })();
  return {
    changes,
    async until(predicate, ms = 10_000) {
      const deadline = Date.now() + ms;
      while (!predicate(changes)) {
        if (Date.now() > deadline) throw new Error(`watch: condition not met; saw ${JSON.stringify(changes)}`);
        await Bun.sleep(20);
      }
    },
  };
}

const has = (kind: FsChange["kind"], path: string, oldPath?: string) => (all: FsChange[]) =>
  all.some((c) => c.kind === kind && c.path === path && (oldPath === undefined || c.oldPath === oldPath));

describe("fs/watch", () => {
  test("recursive: nested create, modify, rename, delete, in new subdirectories too", async () => {
    mkdirSync(at("tree"));
    const watch = await client.fs.watch(at("tree"), { recursive: true });
    const seen = collect(watch);
    mkdirSync(at("tree", "a", "b"), { recursive: true });
    await seen.until(has("created", at("tree", "a", "b")));
    writeFileSync(at("tree", "a", "b", "f.txt"), "1");
    await seen.until(has("created", at("tree", "a", "b", "f.txt")));
    await Bun.sleep(100);
    appendFileSync(at("tree", "a", "b", "f.txt"), "2");
    await seen.until(has("modified", at("tree", "a", "b", "f.txt")));
    renameSync(at("tree", "a", "b", "f.txt"), at("tree", "a", "g.txt"));
    await seen.until(has("renamed", at("tree", "a", "g.txt"), at("tree", "a", "b", "f.txt")));
    rmSync(at("tree", "a", "g.txt"));
    await seen.until(has("removed", at("tree", "a", "g.txt")));
    await watch.close();
    const count = seen.changes.length;
    writeFileSync(at("tree", "after-close"), "x");
    await Bun.sleep(300);
    expect(seen.changes.length).toBe(count);
  });

  test("non-recursive sees its own entries only; URIs in, URIs out", async () => {
    mkdirSync(at("flat", "deep"), { recursive: true });
    const watch = await client.fs.watch(pathToFileURL(at("flat")).href);
    const seen = collect(watch);
    writeFileSync(at("flat", "deep", "hidden"), "x");
    writeFileSync(at("flat", "top"), "x");
    await seen.until(has("created", pathToFileURL(at("flat", "top")).href));
    await Bun.sleep(200);
    expect(seen.changes.some((c) => c.path.includes("hidden"))).toBe(false);
    await watch.close();
  });

  test("coalesces: many writes to one file in a burst come as few changes", async () => {
    writeFileSync(at("burst"), "");
    const watch = await client.fs.watch(at("burst"));
    const seen = collect(watch);
    for (let i = 0; i < 200; i++) appendFileSync(at("burst"), "x");
    await seen.until(has("modified", at("burst")));
    await Bun.sleep(300);
    expect(seen.changes.length).toBeLessThan(20);
    await watch.close();
  });

  test("a flood overflows the bounded queue and says so", async () => {
    mkdirSync(at("flood"));
    const watch = await client.fs.watch(at("flood"));
    const seen = collect(watch);
    const touch = Bun.spawn(["sh", "-c", "seq -f f%g 30000 | xargs touch"], { cwd: at("flood"), env: { PATH: "/usr/bin:/bin", HOME: at("flood") } });
    expect(await touch.exited).toBe(0);
    await seen.until(has("overflow", at("flood")), 20_000);
    // Everything after the overflow is still delivered: a later create is seen.
    await Bun.sleep(200);
    writeFileSync(at("flood", "after"), "x");
    await seen.until(has("created", at("flood", "after")));
    expect(seen.changes.length).toBeLessThan(30_000);
    await watch.close();
  });

  test("errors: missing path, duplicate id, unknown unwatch, outside the root, too many watches", async () => {
    await expectRpcError(client.fs.watch(at("missing")), ErrorCode.OsError, "ENOENT");
    await expectRpcError(client.fs.watch("/"), ErrorCode.OutsideFsRoot);
    await expectRpcError(client.fs.watch("relative"), ErrorCode.InvalidParams);
    await client.request("fs/watch", { watchId: "dup", path: scratch.path });
    await expectRpcError(client.request("fs/watch", { watchId: "dup", path: scratch.path }), ErrorCode.InvalidRequest);
    await client.request("fs/unwatch", { watchId: "dup" });
    await expectRpcError(client.request("fs/unwatch", { watchId: "dup" }), ErrorCode.InvalidRequest);
    const watches: FsWatch[] = [];
    for (let i = 0; i < 32; i++) watches.push(await client.fs.watch(scratch.path));
    expect((await expectRpcError(client.fs.watch(scratch.path), ErrorCode.LimitExceeded)).data).toEqual({ limit: "watches", value: 32 });
    await Promise.all(watches.map((w) => w.close()));
    await (await client.fs.watch(scratch.path)).close();
  });

  test("the watched directory itself removed: reported, and the daemon lives on (found by the fuzz)", async () => {
    mkdirSync(at("doomed"));
    const watch = await client.fs.watch(at("doomed"), { recursive: true });
    const seen = collect(watch);
    rmSync(at("doomed"), { recursive: true });
    await seen.until(has("removed", at("doomed")));
    await watch.close();
    expect((await client.environment()).os).toBe(process.platform);
  });

  test("a connection's watches end with it", async () => {
    const { ExecServerClient } = await import("@x/exec-client");
    const other = await ExecServerClient.connectWebSocket({ url: daemon.url! });
    for (let i = 0; i < 10; i++) await other.fs.watch(scratch.path, { recursive: true });
    await other.close();
    // inotify fds are counted by the leak guard's fd baseline.
    await guard.assertClean();
  });
});
