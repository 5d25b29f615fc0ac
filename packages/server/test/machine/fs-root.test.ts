import { beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ErrorCode } from "@x/exec-protocol";
import { expectRpcError, machineForFile, scratchDir } from "./machine-daemon.ts";

// The root and, beside it, a directory it must never reach.
const scratch = scratchDir("fs-root");
const root = join(scratch.path, "root");
const outside = join(scratch.path, "outside");
const inRoot = (...parts: string[]) => join(root, ...parts);

beforeAll(() => {
  mkdirSync(inRoot("sub"), { recursive: true });
  mkdirSync(outside, { recursive: true });
  writeFileSync(join(outside, "secret"), "outside data");
  writeFileSync(inRoot("sub", "ok.txt"), "inside");
});
const machine = machineForFile(scratch, ["--fs-root", root]);

/**
 * Makes `name` in the root a directory holding `secret` ("inside copy"), then flips it and a
 * link to the outside as fast as it can while the test's calls go on; awaiting the returned
 * function stops the flipping.
 */
function startSwapping(name: string): () => Promise<void> {
  mkdirSync(inRoot(name));
  writeFileSync(inRoot(name, "secret"), "inside copy");
  let swapping = true;
  const flipper = (async () => {
    while (swapping) {
      renameSync(inRoot(name), inRoot(`${name}-dir`));
      symlinkSync(outside, inRoot(name));
      await Promise.resolve();
      rmSync(inRoot(name));
      renameSync(inRoot(`${name}-dir`), inRoot(name));
      await Bun.sleep(0);
    }
  })();
  return async () => {
    swapping = false;
    await flipper;
  };
}

/** The code of a call refused during a swap: outside the root, or the OS's error; anything else is rethrown. */
function refusedOrOsError(error: unknown): number {
  const code = (error as { code: number }).code;
  if (code !== ErrorCode.OutsideFsRoot && code !== ErrorCode.OsError) throw error;
  return code;
}

/** Every method that takes a path, aimed at `target`: all must be refused with -32041. */
async function expectAllRefused(target: string): Promise<void> {
  const refused = (promise: Promise<unknown>) => expectRpcError(promise, ErrorCode.OutsideFsRoot);
  await refused(machine.client.fs.readFile(target));
  await refused(machine.client.fs.writeFile(target, "x"));
  await refused(machine.client.fs.writeFile(join(target, "new-file"), "x"));
  await refused(machine.client.fs.readDir(target));
  await refused(machine.client.fs.mkdir(join(target, "new-dir")));
  await refused(machine.client.fs.canonicalize(target));
  await refused(machine.client.fs.walk(target));
  await refused(machine.client.fs.watch(target));
  await refused(machine.client.request("fs/open", { handleId: "escape", path: target }));
  await refused(machine.client.fs.copy(inRoot("sub", "ok.txt"), join(target, "copied")));
  await refused(machine.client.fs.copy(target, inRoot("stolen"), { recursive: true }));
  await refused(machine.client.start({ argv: ["true"], cwd: target, env: {} }));
}

describe("--fs-root", () => {
  test("paths inside work, plain and as file: URIs", async () => {
    expect(await machine.client.fs.readTextFile(inRoot("sub", "ok.txt"))).toBe("inside");
    expect(await machine.client.fs.readTextFile(pathToFileURL(inRoot("sub", "ok.txt")).href)).toBe("inside");
    await machine.client.fs.writeFile(inRoot("sub", "..", "top.txt"), "fine");
    expect(readFileSync(inRoot("top.txt"), "utf8")).toBe("fine");
  });

  test("`..` out of the root is refused", async () => {
    await expectAllRefused(`${root}/../outside`);
    await expectAllRefused(`${root}/sub/../../outside`);
    await expectRpcError(machine.client.fs.readFile(`${root}/../outside/secret`), ErrorCode.OutsideFsRoot);
    await expectRpcError(machine.client.fs.stat(`${root}/../outside/secret`), ErrorCode.OutsideFsRoot);
    await expectRpcError(machine.client.fs.remove(`${root}/../outside/secret`), ErrorCode.OutsideFsRoot);
    await expectRpcError(machine.client.fs.rename(`${root}/../outside/secret`, inRoot("took")), ErrorCode.OutsideFsRoot);
    expect(existsSync(join(outside, "secret"))).toBe(true);
  });

  test("an absolute symlink out is refused; the link itself may be listed and removed", async () => {
    symlinkSync(outside, inRoot("abs-link"));
    await expectAllRefused(inRoot("abs-link"));
    await expectRpcError(machine.client.fs.readFile(inRoot("abs-link", "secret")), ErrorCode.OutsideFsRoot);
    // Metadata of the link is inside; of its target is not.
    expect((await machine.client.fs.readDir(root)).find((e) => e.fileName === "abs-link")).toMatchObject({ isSymlink: true });
    await expectRpcError(machine.client.fs.stat(inRoot("abs-link")), ErrorCode.OutsideFsRoot);
    await machine.client.fs.remove(inRoot("abs-link"));
    expect(existsSync(join(outside, "secret"))).toBe(true);
  });

  test("a chain of relative symlinks out is refused, and so is a dangling one", async () => {
    symlinkSync("hop2", inRoot("hop1"));
    symlinkSync("sub/../hop3", inRoot("hop2"));
    symlinkSync("../outside", inRoot("hop3"));
    await expectAllRefused(inRoot("hop1"));
    await expectRpcError(machine.client.fs.readFile(inRoot("hop1", "secret")), ErrorCode.OutsideFsRoot);
    // Writing through a dangling link would create its target outside.
    symlinkSync(join(outside, "created-by-link"), inRoot("dangling"));
    await expectRpcError(machine.client.fs.writeFile(inRoot("dangling"), "x"), ErrorCode.OutsideFsRoot);
    await expectRpcError(machine.client.request("fs/open", { handleId: "d", path: inRoot("dangling"), mode: "replace" }), ErrorCode.OutsideFsRoot);
    expect(existsSync(join(outside, "created-by-link"))).toBe(false);
  });

  test("a directory swapped for a symlink after it was used is refused", async () => {
    mkdirSync(inRoot("swap"));
    writeFileSync(inRoot("swap", "secret"), "inside copy");
    expect(await machine.client.fs.readTextFile(inRoot("swap", "secret"))).toBe("inside copy");
    const watch = await machine.client.fs.watch(inRoot("swap"));
    await watch.close();
    renameSync(inRoot("swap"), inRoot("swap-old"));
    symlinkSync(outside, inRoot("swap"));
    await expectAllRefused(inRoot("swap"));
    await expectRpcError(machine.client.fs.readFile(inRoot("swap", "secret")), ErrorCode.OutsideFsRoot);
    rmSync(inRoot("swap"));
  });

  test("a directory swapped for a symlink while files are being opened never yields outside data", async () => {
    const stopSwapping = startSwapping("race");
    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) {
      try {
        seen.add(await machine.client.fs.readTextFile(inRoot("race", "secret")));
      } catch (error) {
        seen.add(`error ${refusedOrOsError(error)}`);
      }
    }
    await stopSwapping();
    expect(seen.has("outside data")).toBe(false);
    expect(seen.has("inside copy")).toBe(true);
  });

  test("writes racing the same swap never touch the outside file", async () => {
    const stopSwapping = startSwapping("wrace");
    let written = 0;
    for (let i = 0; i < 300; i++) {
      const attempt =
        i % 2 === 0
          ? machine.client.fs.writeFile(inRoot("wrace", "secret"), "overwritten")
          : machine.client
              .request("fs/open", { handleId: `wr${i}`, path: inRoot("wrace", "secret"), mode: "replace" })
              .then(() => machine.client.request("fs/close", { handleId: `wr${i}` }));
      try {
        await attempt;
        written++;
      } catch (error) {
        refusedOrOsError(error);
      }
    }
    await stopSwapping();
    expect(written).toBeGreaterThan(0);
    expect(readFileSync(join(outside, "secret"), "utf8")).toBe("outside data");
  });
});
