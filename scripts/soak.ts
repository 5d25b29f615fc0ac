#!/usr/bin/env bun
/**
 * Soak: mixed load on one websocket daemon for N minutes, sampling its RSS and
 * open fds every few seconds. A flat line is the pass. Not for CI.
 *
 *   bun scripts/soak.ts --minutes 30 [--sample-seconds 5] [--seed S]
 *
 * Load: short pipe children with checked output sizes, interactive PTY sessions
 * (write, echo, resize, snapshot, terminate), connections dropped mid-stream,
 * a trickle of fuzz messages, and one canary streaming throughout.
 */
import { tmpdir } from "node:os";
import { parseArgs } from "node:util";
import { CANARY_ARGV, CanaryMonitor } from "@x/exec-test-kit/canary.ts";
import { DaemonProcess } from "@x/exec-test-kit/daemon.ts";
import { describeLeaks, waitDaemonSettled, waitMarkedGone } from "@x/exec-test-kit/leak-check.ts";
import { newMarker } from "@x/exec-test-kit/marker.ts";
import { descendantsOf, describeProc, fdCount, openFds, rssBytes } from "@x/exec-test-kit/proc-tree.ts";
import { Prng } from "@x/exec-test-kit/prng.ts";
import { ProtocolClient } from "@x/exec-test-kit/protocol-client.ts";
import { watchRss } from "@x/exec-test-kit/rss-watchdog.ts";
import { droppedConnections, fuzzTrickle, LoadCounters, ptySessions, shortChildren, type LoadContext } from "@x/exec-test-kit/soak-load.ts";
import { warmUp } from "@x/exec-test-kit/warm-up.ts";
import { openWebSocketWire } from "@x/exec-test-kit/wire.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    minutes: { type: "string", default: "5" },
    "sample-seconds": { type: "string", default: "5" },
    seed: { type: "string" },
  },
});
const minutes = Number(values.minutes);
const sampleMs = Number(values["sample-seconds"]) * 1000;
const seed = values.seed !== undefined ? Number(values.seed) : Date.now() >>> 0;
const MiB = 1024 * 1024;

interface Sample {
  readonly seconds: number;
  readonly rssMiB: number;
  readonly fds: number;
  readonly processes: number;
}

const daemon = await DaemonProcess.start({ transport: "websocket", args: ["--log-level", "error"] });
const marker = newMarker("soak");
const counters = new LoadCounters();
const samples: Sample[] = [];
// The soak measures growth; a runaway allocation must not take the machine with it.
const watchdog = watchRss(daemon.pid, 4 * 1024 ** 3);
let exitCode = 0;
try {
  await warmUp(daemon.url!);
  const fdBaseline = openFds(daemon.pid);
  const started = performance.now();
  const deadline = started + minutes * 60_000;
  const until = () => performance.now() < deadline;
  const rng = new Prng(seed);

  const canaryClient = new ProtocolClient(await openWebSocketWire(daemon.url!), { keepOutput: false });
  const canary = new CanaryMonitor("canary");
  canaryClient.wire.onMessage((text) => canary.feed(text));
  await canaryClient.handshake("soak-canary");
  await canaryClient.call("process/start", { processId: "canary", argv: CANARY_ARGV, cwd: tmpdir(), env: marker.env, tty: false });

  const sample = () => {
    const row = {
      seconds: Math.round((performance.now() - started) / 1000),
      rssMiB: rssBytes(daemon.pid) / MiB,
      fds: fdCount(daemon.pid),
      processes: descendantsOf([daemon.pid]).length,
    };
    samples.push(row);
    process.stdout.write(`${fmt(row.seconds, 7)} ${fmt(row.rssMiB.toFixed(1), 9)} ${fmt(row.fds, 6)} ${fmt(row.processes, 6)}\n`);
  };
  process.stdout.write(`soak: ${minutes} min, seed ${seed}, daemon pid ${daemon.pid}\n${fmt("t(s)", 7)} ${fmt("RSS(MiB)", 9)} ${fmt("fds", 6)} ${fmt("procs", 6)}\n`);
  sample();
  const sampler = setInterval(sample, sampleMs);

  const context = (offset: number): LoadContext => ({
    url: daemon.url!,
    marker: marker.entry,
    env: marker.env,
    counters,
    until,
    rng: new Prng(seed + offset),
  });
  await Promise.all([
    shortChildren(context(1)),
    shortChildren(context(2)),
    ptySessions(context(3)),
    droppedConnections(context(4)),
    fuzzTrickle(context(5)),
  ]);
  clearInterval(sampler);

  const canaryStats = canary.stats();
  canaryClient.close();
  // Slopes over the second half of the load: the first half includes the warm-up
  // to steady state (exited processes are retained for 30 s).
  const loaded = samples.slice(Math.floor(samples.length / 2));
  const rssSlope = slopePerMinute(loaded, (s) => s.rssMiB);
  const fdSlope = slopePerMinute(loaded, (s) => s.fds);
  const leaks = await waitDaemonSettled(daemon.pid, fdBaseline, 15_000);
  const marked = await waitMarkedGone(marker.entry);
  process.stdout.write("after the load stopped and every connection closed:\n");
  sample();
  const rss = samples.map((s) => s.rssMiB);
  const problems = [...describeLeaks(leaks), ...marked.map((proc) => `marked survivor: ${describeProc(proc)}`), ...counters.errors];
  if (canaryStats.exited) problems.push("the canary exited");
  if (watchdog.tripped !== undefined) problems.push(`daemon killed at ${(watchdog.tripped / MiB).toFixed(0)} MiB RSS`);
  process.stdout.write(
    `soak: ${minutes} min, ${samples.length} samples; RSS ${rss[0]!.toFixed(1)} → ${rss.at(-1)!.toFixed(1)} MiB ` +
      `(max ${Math.max(...rss).toFixed(1)}), steady-state slope ${rssSlope.toFixed(2)} MiB/min; fds ${samples[0]!.fds} → ${samples.at(-1)!.fds} ` +
      `(baseline ${fdBaseline.size}, slope ${fdSlope.toFixed(2)}/min); ${counters.processes} processes, ` +
      `${(counters.bytes / MiB).toFixed(0)} MiB streamed, ${counters.connections} connections (${counters.dropped} dropped), ` +
      `${counters.fuzzMessages} fuzz messages; canary longest gap ${canaryStats.maxGapMs} ms; ` +
      `leaks ${problems.length}; ${problems.length === 0 ? "PASS" : "FAIL"}\n`,
  );
  for (const problem of problems) process.stdout.write(`  - ${problem}\n`);
  if (problems.length > 0) exitCode = 1;
} finally {
  watchdog.stop();
  const code = await daemon.stop();
  if (code !== 0) {
    process.stdout.write(`daemon exited with ${code}\n${daemon.stderr().slice(-2000)}\n`);
    exitCode = 1;
  }
  const left = descendantsOf([process.pid]);
  if (left.length > 0) process.stdout.write(`left behind: ${left.map(describeProc).join("; ")}\n`);
}
process.exit(exitCode);

/** Least-squares slope of `pick` against time, per minute. */
function slopePerMinute(rows: readonly Sample[], pick: (row: Sample) => number): number {
  if (rows.length < 2) return 0;
  const xs = rows.map((row) => row.seconds / 60);
  const ys = rows.map(pick);
  const meanX = xs.reduce((a, b) => a + b, 0) / xs.length;
  const meanY = ys.reduce((a, b) => a + b, 0) / ys.length;
  let numerator = 0;
  let denominator = 0;
  for (let i = 0; i < xs.length; i++) {
    numerator += (xs[i]! - meanX) * (ys[i]! - meanY);
    denominator += (xs[i]! - meanX) ** 2;
  }
  return denominator === 0 ? 0 : numerator / denominator;
}

function fmt(value: string | number, width: number): string {
  return String(value).padStart(width);
}
