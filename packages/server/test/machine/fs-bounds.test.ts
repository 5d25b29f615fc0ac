import { expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { ExecServerClient, ExecServerError } from "@x/exec-client";
import { ErrorCode } from "@x/exec-protocol";
import { machineForFile, scratchDir } from "./machine-daemon.ts";

const MAX_MESSAGE = 8 * 1024 * 1024;
const scratch = scratchDir("fs-bounds");
const machine = machineForFile(scratch, ["--fs-root", scratch.path, "--max-message-bytes", String(MAX_MESSAGE)]);

test("parallel fs/readFile and fs/readBlock share one budget of --max-message-bytes: the excess is -32003 at once", async () => {
  // Two 5 MiB reads do not fit in 8 MiB together; each alone does.
  const path = join(scratch.path, "five.bin");
  const content = randomBytes(5 * 1024 * 1024);
  writeFileSync(path, content);
  const reads = Array.from({ length: 12 }, () => machine.client.request("fs/readFile", { path }));
  const settled = await Promise.allSettled(reads);
  const answered = settled.filter((s) => s.status === "fulfilled");
  const refused = settled.flatMap((s) => (s.status === "rejected" ? [s.reason as unknown] : []));
  expect(answered.length).toBeGreaterThanOrEqual(1);
  expect(refused.length).toBeGreaterThanOrEqual(1);
  expect(answered.length + refused.length).toBe(12);
  for (const error of refused) {
    expect(error).toBeInstanceOf(ExecServerError);
    expect((error as ExecServerError).code).toBe(ErrorCode.LimitExceeded);
    expect((error as ExecServerError).data).toMatchObject({ limit: "readBytesInFlight", value: MAX_MESSAGE });
  }
  const first = answered[0] as PromiseFulfilledResult<{ dataBase64: string }>;
  expect(Buffer.from(first.value.dataBase64, "base64").equals(content)).toBe(true);

  // Blocks count against the same budget: 9 blocks of 1 MiB in flight cannot all fit in 8 MiB.
  await machine.client.request("fs/open", { handleId: "b", path });
  const blocks = await Promise.allSettled(
    Array.from({ length: 16 }, (_, i) => machine.client.request("fs/readBlock", { handleId: "b", offset: (i % 5) * 1024 * 1024, len: 1024 * 1024 })),
  );
  const blockRefused = blocks.filter((s) => s.status === "rejected").map((s) => (s as PromiseRejectedResult).reason as ExecServerError);
  for (const error of blockRefused) expect(error.data).toMatchObject({ limit: "readBytesInFlight", value: MAX_MESSAGE });
  await machine.client.request("fs/close", { handleId: "b" });

  // The budget is given back: a read afterwards is answered.
  const again = await machine.client.request("fs/readFile", { path });
  expect(Buffer.from(again.dataBase64, "base64").equals(content)).toBe(true);
});

test("a read larger than --max-message-bytes is -32003 with {limit, value}", async () => {
  const path = join(scratch.path, "nine.bin");
  writeFileSync(path, new Uint8Array(9 * 1024 * 1024));
  const error = await machine.client.request("fs/readFile", { path }).catch((e: unknown) => e as ExecServerError);
  expect(error).toBeInstanceOf(ExecServerError);
  expect((error as ExecServerError).data).toEqual({ limit: "--max-message-bytes", value: MAX_MESSAGE });
});

/** `work`'s outcome, or "timed out" after `ms`: a blocked daemon must fail the test, not hang it. */
async function within<T>(ms: number, work: Promise<T>): Promise<T | "timed out"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"timed out">((resolve) => (timer = setTimeout(() => resolve("timed out"), ms)));
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

test("a FIFO is refused at once by fs/readFile, fs/writeFile and fs/open (EINVAL, not a regular file); other connections keep working", async () => {
  const fifo = join(scratch.path, "pipe");
  expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
  // Two reads at once: Bun's file pool has two threads, a blocking open would take both.
  const refusals = [
    machine.client.request("fs/readFile", { path: fifo }),
    machine.client.request("fs/readFile", { path: fifo }),
    machine.client.request("fs/writeFile", { path: fifo, dataBase64: "aGk=" }),
    machine.client.request("fs/open", { handleId: "fifo-r", path: fifo }),
    machine.client.request("fs/open", { handleId: "fifo-w", path: fifo, mode: "replace" }),
  ].map((call) => within(5000, call.then(() => "answered", (e: unknown) => e)));
  for (const outcome of await Promise.all(refusals)) {
    expect(outcome).toBeInstanceOf(ExecServerError);
    const error = outcome as ExecServerError;
    expect(error.code).toBe(ErrorCode.OsError);
    expect(error.data).toMatchObject({ code: "EINVAL", path: fifo });
    expect(error.message).toContain("not a regular file");
  }
  const other = await ExecServerClient.connectWebSocket({ url: machine.daemon.url!, clientName: "fifo-other" });
  try {
    const ran = await within(5000, other.run(["echo", "still here"], { cwd: scratch.path, env: { PATH: "/usr/bin:/bin", HOME: scratch.path } }));
    expect(ran === "timed out" ? ran : ran.stdout).toBe("still here\n");
  } finally {
    await other.close();
  }
});
