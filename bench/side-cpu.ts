/**
 * Which side limits a throughput row: runs workload 1 against one target and
 * reports MiB/s with the CPU each side spent per MiB (server from /proc, this
 * client from process.cpuUsage). On a shared machine CPU per MiB moves less
 * than MiB/s does; a side near 1000 ms of CPU per second of wall time is saturated.
 *
 *   bun bench/side-cpu.ts exec-server-stdio [MiB=64] [runs=5]
 *   bun bench/side-cpu.ts exec-server-ws 64 5 --binary
 *   bun bench/side-cpu.ts exec-server-sdk 64 5 --binary
 *
 * Profile a side with `bun --cpu-prof-md bench/side-cpu.ts …` (the client), or
 * with EXEC_SERVER_BIN set to a script that runs the daemon under `bun --cpu-prof-md`.
 */
import { readFileSync } from "node:fs";
import { randomFile } from "./lib/fixtures.ts";
import { median } from "./lib/stats.ts";
import { openTarget } from "./targets/open-target.ts";
import type { TargetKind } from "./targets/target.ts";
import { MiB } from "./workloads/measurement.ts";

const args = process.argv.slice(2).filter((arg) => !arg.startsWith("--"));
const kind = (args[0] ?? "exec-server-stdio") as TargetKind;
const mib = Number(args[1] ?? 64);
const runs = Number(args[2] ?? 5);
const binaryOutput = process.argv.includes("--binary");

/** User + system CPU seconds of a process, all threads (clock ticks of 10 ms). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const file = await randomFile(mib * MiB);
const target = await openTarget({ kind, command: ["cat", file], tty: false, binaryOutput });
const rates: number[] = [];
const serverMs: number[] = [];
const clientMs: number[] = [];
try {
  // Run 0 warms up the JIT on both sides and is not counted.
  for (let run = 0; run <= runs; run++) {
    const serverBefore = target.serverPid ? cpuSeconds(target.serverPid) : 0;
    const clientBefore = process.cpuUsage();
    const started = performance.now();
    const bytes = await target.run();
    const seconds = (performance.now() - started) / 1000;
    const client = process.cpuUsage(clientBefore);
    const server = target.serverPid ? cpuSeconds(target.serverPid) - serverBefore : Number.NaN;
    if (run === 0) continue;
    const mibs = bytes / MiB;
    rates.push(mibs / seconds);
    serverMs.push((server * 1000) / mibs);
    clientMs.push((client.user + client.system) / 1000 / mibs);
  }
} finally {
  await target.close();
}
const label = `${kind}${binaryOutput ? " --binary" : ""}`;
console.log(
  `${label}: ${median(rates).toFixed(0)} MiB/s; CPU per MiB: server ${median(serverMs).toFixed(2)} ms, client ${median(clientMs).toFixed(2)} ms` +
    `  (runs: ${rates.map((rate) => rate.toFixed(0)).join(" ")})`,
);
