import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { ExecServerClient } from "@x/exec-client";
import { ErrorCode } from "@x/exec-protocol";
import type { Daemon } from "@x/exec-test-kit/daemon.ts";
import { expectRpcError, machineDaemon, scratchDir } from "./machine-daemon.ts";

// The root and, beside it, a directory it must never reach.
const scratch = scratchDir("fs-root");
const root = join(scratch.path, "root");
const outside = join(scratch.path, "outside");
let daemon: Daemon;
let client: ExecServerClient;
const inRoot = (...parts: string[]) => join(root, ...parts);

beforeAll(async () => {
  mkdirSync(inRoot("sub"), { recursive: true });
  mkdirSync(outside, { recursive: true });
  writeFileSync(join(outside, "secret"), "outside data");
  writeFileSync(inRoot("sub", "ok.txt"), "inside");
  const started = await machineDaemon(["--fs-root", root]);
  daemon = started.daemon;
  client = await started.connect();
});

afterAll(async () => {
  await client.close();
  await daemon.stop();
  scratch.dispose();
});

/** Every method that takes a path, aimed at `target`: all must be refused with -32041. */
async function expectAllRefused(target: string): Promise<void> {
  const refused = (promise: Promise<unknown>) => expectRpcError(promise, ErrorCode.OutsideFsRoot);
  await refused(client.fs.readFile(target));
  await refused(client.fs.writeFile(target, "x"));
  await refused(client.fs.writeFile(join(target, "new-file"), "x"));
  await refused(client.fs.readDir(target));
  await refused(client.fs.mkdir(join(target, "new-dir")));
  await refused(client.fs.canonicalize(target));
  await refused(client.fs.walk(target));
  await refused(client.fs.watch(target));
  await refused(client.request("fs/open", { handleId: "escape", path: target }));
  await refused(client.fs.copy(inRoot("sub", "ok.txt"), join(target, "copied")));
  await refused(client.fs.copy(target, inRoot("stolen"), { recursive: true }));
  await refused(client.start({ argv: ["true"], cwd: target, env: {} }));
}

describe("--fs-root", () => {
  test("paths inside work, plain and as file: URIs", async () => {
    expect(await client.fs.readTextFile(inRoot("sub", "ok.txt"))).toBe("inside");
    expect(await client.fs.readTextFile(pathToFileURL(inRoot("sub", "ok.txt")).href)).toBe("inside");
    await client.fs.writeFile(inRoot("sub", "..", "top.txt"), "fine");
    expect(readFileSync(inRoot("top.txt"), "utf8")).toBe("fine");
  });

  test("`..` out of the root is refused", async () => {
    await expectAllRefused(`${root}/../outside`);
    await expectAllRefused(`${root}/sub/../../outside`);
    await expectRpcError(client.fs.readFile(`${root}/../outside/secret`), ErrorCode.OutsideFsRoot);
    await expectRpcError(client.fs.stat(`${root}/../outside/secret`), ErrorCode.OutsideFsRoot);
    await expectRpcError(client.fs.remove(`${root}/../outside/secret`), ErrorCode.OutsideFsRoot);
    await expectRpcError(client.fs.rename(`${root}/../outside/secret`, inRoot("took")), ErrorCode.OutsideFsRoot);
    expect(existsSync(join(outside, "secret"))).toBe(true);
  });

  test("an absolute symlink out is refused; the link itself may be listed and removed", async () => {
    symlinkSync(outside, inRoot("abs-link"));
    await expectAllRefused(inRoot("abs-link"));
    await expectRpcError(client.fs.readFile(inRoot("abs-link", "secret")), ErrorCode.OutsideFsRoot);
    // Metadata of the link is inside; of its target is not.
    expect((await client.fs.readDir(root)).find((e) => e.fileName === "abs-link")).toMatchObject({ isSymlink: true });
    await expectRpcError(client.fs.stat(inRoot("abs-link")), ErrorCode.OutsideFsRoot);
    await client.fs.remove(inRoot("abs-link"));
    expect(existsSync(join(outside, "secret"))).toBe(true);
  });

  test("a chain of relative symlinks out is refused, and so is a dangling one", async () => {
    symlinkSync("hop2", inRoot("hop1"));
    symlinkSync("sub/../hop3", inRoot("hop2"));
    symlinkSync("../outside", inRoot("hop3"));
    await expectAllRefused(inRoot("hop1"));
    await expectRpcError(client.fs.readFile(inRoot("hop1", "secret")), ErrorCode.OutsideFsRoot);
    // Writing through a dangling link would create its target outside.
    symlinkSync(join(outside, "created-by-link"), inRoot("dangling"));
    await expectRpcError(client.fs.writeFile(inRoot("dangling"), "x"), ErrorCode.OutsideFsRoot);
    await expectRpcError(client.request("fs/open", { handleId: "d", path: inRoot("dangling"), mode: "replace" }), ErrorCode.OutsideFsRoot);
    expect(existsSync(join(outside, "created-by-link"))).toBe(false);
  });

  test("a directory swapped for a symlink after it was used is refused", async () => {
    mkdirSync(inRoot("swap"));
    writeFileSync(inRoot("swap", "secret"), "inside copy");
    expect(await client.fs.readTextFile(inRoot("swap", "secret"))).toBe("inside copy");
    const watch = await client.fs.watch(inRoot("swap"));
    await watch.close();
    renameSync(inRoot("swap"), inRoot("swap-old"));
    symlinkSync(outside, inRoot("swap"));
    await expectAllRefused(inRoot("swap"));
    await expectRpcError(client.fs.readFile(inRoot("swap", "secret")), ErrorCode.OutsideFsRoot);
    rmSync(inRoot("swap"));
  });

  test("a directory swapped for a symlink while files are being opened never yields outside data", async () => {
    mkdirSync(inRoot("race"));
    writeFileSync(inRoot("race", "secret"), "inside copy");
    let swapping = true;
    // Flips the directory and a link to the outside as fast as it can, while reads go on.
    const flipper = (async () => {
      while (swapping) {
        renameSync(inRoot("race"), inRoot("race-dir"));
        symlinkSync(outside, inRoot("race"));
        await Promise.resolve();
        rmSync(inRoot("race"));
        renameSync(inRoot("race-dir"), inRoot("race"));
        await Bun.sleep(0);
      }
    })();
    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) {
      try {
        seen.add(await client.fs.readTextFile(inRoot("race", "secret")));
      } catch (error) {
        const code = (error as { code: number }).code;
        if (code !== ErrorCode.OutsideFsRoot && code !== ErrorCode.OsError) throw error;
        seen.add(`error ${code}`);
      }
    }
    swapping = false;
    await flipper;
    expect(seen.has("outside data")).toBe(false);
    expect(seen.has("inside copy")).toBe(true);
  });

  test("writes racing the same swap never touch the outside file", async () => {
    mkdirSync(inRoot("wrace"));
    writeFileSync(inRoot("wrace", "secret"), "inside copy");
    let swapping = true;
    const flipper = (async () => {
      while (swapping) {
        renameSync(inRoot("wrace"), inRoot("wrace-dir"));
        symlinkSync(outside, inRoot("wrace"));
        await Promise.resolve();
        rmSync(inRoot("wrace"));
        renameSync(inRoot("wrace-dir"), inRoot("wrace"));
        await Bun.sleep(0);
      }
    })();
    let written = 0;
    for (let i = 0; i < 300; i++) {
      const attempt =
        i % 2 === 0
          ? client.fs.writeFile(inRoot("wrace", "secret"), "overwritten")
          : client
              .request("fs/open", { handleId: `wr${i}`, path: inRoot("wrace", "secret"), mode: "replace" })
              .then(() => client.request("fs/close", { handleId: `wr${i}` }));
      try {
        await attempt;
        written++;
      } catch (error) {
        const code = (error as { code: number }).code;
        if (code !== ErrorCode.OutsideFsRoot && code !== ErrorCode.OsError) throw error;
      }
    }
    swapping = false;
    await flipper;
    expect(written).toBeGreaterThan(0);
    expect(readFileSync(join(outside, "secret"), "utf8")).toBe("outside data");
  });
});
