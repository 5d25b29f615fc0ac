import { expect, test } from "bun:test";
import { closeSync, openSync } from "node:fs";
import { growSendBuffer } from "./socket-buffer.ts";

test.skipIf(process.platform !== "linux")("grows the send buffer of a socket, and leaves anything else alone", async () => {
  // A child's stdout under Bun.spawn is a socketpair (what the daemon's stdio is, spawned by the SDK or the bench).
  const script = `import { fstatSync } from "node:fs";
import { growSendBuffer } from ${JSON.stringify(`${import.meta.dir}/socket-buffer.ts`)};
console.log(JSON.stringify({ socket: fstatSync(1).isSocket(), size: growSendBuffer(1, 1 << 20) ?? null }));`;
  const child = Bun.spawn(["bun", "-e", script], { stdout: "pipe", stderr: "inherit" });
  const report = JSON.parse(await new Response(child.stdout).text());
  expect(await child.exited).toBe(0);
  expect(report.socket).toBe(true);
  expect(report.size).toBeGreaterThanOrEqual(1 << 20);
  const fd = openSync(`${import.meta.dir}/socket-buffer.ts`, "r");
  try {
    expect(growSendBuffer(fd, 1 << 20)).toBeUndefined();
  } finally {
    closeSync(fd);
  }
});
