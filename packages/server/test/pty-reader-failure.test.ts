import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DaemonProcess, SERVER_BIN, type Daemon } from "@x/exec-test-kit/daemon.ts";
import { ProtocolClient } from "@x/exec-test-kit/protocol-client.ts";
import { startParams } from "@x/exec-test-kit/start-params.ts";

// The ffi PTY backend reads every master in a Worker. A build that leaves the worker
// out (`bun build --compile` of the bin alone, as a user would first try) cannot
// start it: process/start must say so, never start a child whose output is lost.
const dir = mkdtempSync(join(tmpdir(), "exec-server-noworker-"));
const broken = join(dir, "exec-server");
let daemon: Daemon;
let client: ProtocolClient;

beforeAll(async () => {
  const build = Bun.spawnSync(["bun", "build", "--compile", SERVER_BIN, "--outfile", broken], { stdout: "pipe", stderr: "pipe" });
  if (build.exitCode !== 0) throw new Error(`bun build --compile failed: ${build.stderr.toString()}`);
  daemon = await DaemonProcess.start({ transport: "stdio", args: ["--pty-backend", "ffi"], command: [broken], reportUnexpectedExit: true });
  client = ProtocolClient.overStdio(daemon);
  await client.handshake();
});

afterAll(async () => {
  client?.close();
  await daemon?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("a PTY whose reader cannot start fails process/start with the reason", async () => {
  for (const id of ["first", "second"]) {
    const answer = await client.request("process/start", startParams(id, ["echo", "lost?"], { tty: true }));
    expect(answer.error).toMatchObject({ code: -32603 });
    expect(answer.error.message).toContain("cannot start a PTY (--pty-backend ffi): pty reader worker failed");
    expect(answer.error.message).toContain("pty-reader-worker");
  }
  expect(client.notifications("process/exited")).toEqual([]);
  expect(daemon.stderr()).toContain("pty reader worker failed");
});

test("pipe processes are not affected", async () => {
  await client.call("process/start", startParams("pipe", ["echo", "still here"]));
  await client.waitExited("pipe");
  expect(client.output("pipe").toString()).toBe("still here\n");
});
