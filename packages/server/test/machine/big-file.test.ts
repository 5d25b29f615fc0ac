import { expect, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { machineForFile, scratchDir } from "./machine-daemon.ts";

const FILE_BYTES = 256 * 1024 * 1024;
const PIECE = 4 * 1024 * 1024;
// The daemon holds a few blocks and their base64 at once, never the file; garbage not yet
// collected comes on top (≈70-90 MiB seen here), so the bound is half the file.
const RSS_GROWTH_LIMIT = FILE_BYTES / 2;

const scratch = scratchDir("big-file");
const machine = machineForFile(scratch, ["--fs-root", scratch.path]);

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

/** Samples the daemon's RSS every 20 ms while `work` runs; returns the peak. */
async function peakRssDuring(pid: number, work: () => Promise<void>): Promise<number> {
  let peak = rssBytes(pid);
  const timer = setInterval(() => (peak = Math.max(peak, rssBytes(pid))), 20);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, rssBytes(pid));
}

test("a 256 MiB binary file written and read back byte-exact through the SDK, daemon RSS bounded", async () => {
  const path = join(scratch.path, "big.bin");
  const pid = machine.daemon.proc.pid;
  // Warm the daemon's code paths so the baseline is not its cold start.
  await machine.client.fs.writeFile(join(scratch.path, "warm"), randomBytes(1024 * 1024));
  await new Response(machine.client.fs.openRead(join(scratch.path, "warm"))).arrayBuffer();
  const baseline = rssBytes(pid);

  const written = createHash("sha256");
  const writePeak = await peakRssDuring(pid, async () => {
    let sent = 0;
    const source = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= FILE_BYTES) return controller.close();
        const piece = randomBytes(Math.min(PIECE, FILE_BYTES - sent));
        written.update(piece);
        sent += piece.length;
        controller.enqueue(piece);
      },
    });
    await source.pipeTo(machine.client.fs.openWrite(path));
  });
  expect(statSync(path).size).toBe(FILE_BYTES);
  const writtenHash = written.digest("hex");
  const onDisk = createHash("sha256");
  for await (const part of createReadStream(path)) onDisk.update(part as Buffer);
  expect(onDisk.digest("hex")).toBe(writtenHash);

  const read = createHash("sha256");
  let readBytes = 0;
  const readPeak = await peakRssDuring(pid, async () => {
    for await (const part of machine.client.fs.openRead(path)) {
      read.update(part);
      readBytes += part.length;
    }
  });
  expect(readBytes).toBe(FILE_BYTES);
  expect(read.digest("hex")).toBe(writtenHash);

  const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
  console.log(`daemon RSS: baseline ${mib(baseline)}, peak while writing ${mib(writePeak)}, while reading ${mib(readPeak)}`);
  expect(writePeak - baseline).toBeLessThan(RSS_GROWTH_LIMIT);
  expect(readPeak - baseline).toBeLessThan(RSS_GROWTH_LIMIT);
}, 240_000);
