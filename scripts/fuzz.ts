#!/usr/bin/env bun
/**
 * Protocol fuzzing against the real daemon over stdio and websocket.
 *
 *   bun scripts/fuzz.ts                      # CI size: 100,000 messages
 *   bun scripts/fuzz.ts --messages 2000000   # a long run
 *   bun scripts/fuzz.ts --seed 42 --transport websocket
 *
 * Exits 1 when any request went unanswered or was answered twice, the canary
 * stopped streaming, an over-size message was not refused, or anything leaked.
 */
import { parseArgs } from "node:util";
import type { TransportKind } from "@x/exec-test-kit/daemon.ts";
import { runFuzz, type FuzzReport, type TransportReport } from "@x/exec-test-kit/fuzz/run-fuzz.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    messages: { type: "string", default: "100000" },
    seed: { type: "string" },
    transport: { type: "string", default: "both" },
    "round-messages": { type: "string", default: "5000" },
    "max-message-bytes": { type: "string", default: String(1024 * 1024) },
    verbose: { type: "boolean", short: "v", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});

if (values.help) {
  process.stdout.write(
    "Usage: bun scripts/fuzz.ts [--messages N] [--seed S] [--transport both|websocket|stdio]\n" +
      "                           [--round-messages N] [--max-message-bytes N] [--verbose]\n",
  );
  process.exit(0);
}

const transports: TransportKind[] =
  values.transport === "both" ? ["websocket", "stdio"] : [values.transport as TransportKind];
if (!transports.every((transport) => transport === "websocket" || transport === "stdio")) {
  process.stderr.write(`fuzz: --transport must be both, websocket or stdio\n`);
  process.exit(2);
}
const seed = values.seed !== undefined ? Number(values.seed) : (Date.now() ^ (process.pid << 16)) >>> 0;

const report = await runFuzz({
  messages: Number(values.messages),
  seed,
  transports,
  roundMessages: Number(values["round-messages"]),
  maxMessageBytes: Number(values["max-message-bytes"]),
  log: values.verbose ? (line) => process.stderr.write(`fuzz: ${line}\n`) : undefined,
});

for (const transport of report.transports) process.stdout.write(describeTransport(transport, values.verbose));
process.stdout.write(`${summaryLine(report)}\n`);
if (report.failures.length > 0) {
  process.stdout.write(`FAILED (replay with --seed ${report.seed}):\n${report.failures.map((f) => `  - ${f}`).join("\n")}\n`);
  process.exit(1);
}

function summaryLine(report: FuzzReport): string {
  const total = (pick: (t: TransportReport) => number) => report.transports.reduce((sum, t) => sum + pick(t), 0);
  const perTransport = report.transports.map((t) => `${t.transport} ${t.messages}`).join(", ");
  const oversize = report.transports.flatMap((t) => t.oversize);
  const websocket = report.transports.find((t) => t.transport === "websocket");
  return (
    `fuzz: ${total((t) => t.messages)} messages (${perTransport}) in ${(report.durationMs / 1000).toFixed(1)} s, seed ${report.seed}; ` +
    `requests ${total((t) => t.requestsOwed)}, responses ${total((t) => t.responses)} ` +
    `(results ${total((t) => t.results)}, id-null errors ${total((t) => t.nullErrors)}), discrepancies ${total((t) => t.discrepancyCount)}; ` +
    `connections ${total((t) => t.connections)}; over-size refused ${oversize.filter((o) => o.ok).length}/${oversize.length}; ` +
    `canary ticks ${total((t) => t.canary.ticks)}${websocket ? `, longest gap on its own connection ${websocket.canary.maxGapMs} ms` : ""}; ` +
    `leaks ${total((t) => t.leaks.length)}; ${report.failures.length === 0 ? "PASS" : "FAIL"}`
  );
}

function describeTransport(t: TransportReport, verbose: boolean): string {
  const lines = [
    `[${t.transport}] ${t.messages} messages over ${t.connections} connections in ${(t.durationMs / 1000).toFixed(1)} s; ` +
      `${t.notifications} notifications; canary ${t.canary.ticks} ticks, longest gap ${t.canary.maxGapMs} ms; ` +
      `daemon peak RSS ${(t.peakRssBytes / 2 ** 20).toFixed(0)} MiB`,
    `  error codes: ${[...t.errorCodes].map(([code, n]) => `${code}×${n}`).join(" ") || "none"}`,
    `  longest silence while owing responses: ${t.stall.ms} ms, ended by the answer to ${t.stall.endedBy || "-"}`,
  ];
  if (t.internalErrors.size > 0) {
    lines.push("  internal errors (-32603):");
    for (const [message, n] of [...t.internalErrors].sort((a, b) => b[1] - a[1]).slice(0, 10)) lines.push(`    ${n}× ${message}`);
  }
  if (verbose) lines.push(`  cases: ${[...t.labels].map(([label, n]) => `${label} ${n}`).join(", ")}`);
  for (const o of t.oversize) lines.push(`  over-size ${o.label}: ${o.ok ? "ok" : "FAIL"} (${o.detail})`);
  for (const d of t.discrepancies) lines.push(`  ${d.what}: ${d.detail}`);
  if (t.samplerMisses.size > 0) {
    lines.push(`  note: sampled params failed validation for ${[...t.samplerMisses].map(([m, n]) => `${m}×${n}`).join(", ")}`);
  }
  return `${lines.join("\n")}\n`;
}
