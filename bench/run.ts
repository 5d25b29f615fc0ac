#!/usr/bin/env bun
// `bun run bench [--quick] [--only=1,3,spawn-rate]`: every workload against exec-server, the peers
// and the in-process baselines, each measurement in a client process of its own. Prints a table,
// writes bench/results.json and bench/results.svg (with --only, results-partial.* instead).
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { PTY_BACKENDS, SIZES, type ModeName } from "./config.ts";
import { base64TerminalBytes, randomFile } from "./lib/fixtures.ts";
import { stopProcess } from "./lib/launch.ts";
import { BENCH_DIR, PEERS_DIR } from "./lib/paths.ts";
import { buildPlan, type Case, type WorkloadPlan } from "./plan.ts";
import { scoreWorkload, type BenchResults, type RowResult, type WorkloadResult } from "./report/results.ts";
import { renderSvg } from "./report/svg.ts";
import { formatResults } from "./report/table.ts";
import { peerMissing } from "./targets/peers.ts";
import type { Measurement, MeasureRequest } from "./workloads/measurement.ts";

const MEASURE_ENTRY = resolve(BENCH_DIR, "measure.ts");

function skipReason(kind: string): string | undefined {
  if (kind === "node-pty-ws" || kind === "websocketd" || kind === "terminado") return peerMissing(kind);
  return undefined;
}

async function runCase(plan: WorkloadPlan, testCase: Case, mode: ModeName, timeoutMs: number): Promise<RowResult> {
  const base = { label: testCase.label, role: testCase.role, kind: testCase.spec.kind };
  const skipped = skipReason(testCase.spec.kind);
  if (skipped !== undefined) return { ...base, seconds: 0, skipped };
  const request: MeasureRequest = { workload: plan.id, spec: testCase.spec, mode, expectedBytes: plan.expectedBytes };
  const started = performance.now();
  const proc = Bun.spawn([process.execPath, MEASURE_ENTRY, JSON.stringify(request)], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void stopProcess(proc, 5_000); // SIGTERM lets it stop its servers first
  }, timeoutMs);
  const [stdout, stderr, code] = await Promise.all([proc.stdout.text(), proc.stderr.text(), proc.exited]);
  clearTimeout(timer);
  const seconds = (performance.now() - started) / 1000;
  const line = stdout.split("\n").find((l) => l.startsWith("RESULT "));
  if (code !== 0 || !line) {
    const reason = timedOut ? `timed out after ${timeoutMs / 1000} s` : lastLine(stderr);
    return { ...base, seconds, error: reason || `exit code ${code}` };
  }
  const measurement = JSON.parse(line.slice("RESULT ".length)) as Measurement;
  return { ...base, seconds, metrics: measurement.metrics, details: measurement.details, warning: measurement.warning };
}

/** The reason measure.ts gave, or else the last line that looks like an error. */
function lastLine(text: string): string {
  const lines = text.trim().split("\n").filter((l) => l.trim() !== "");
  const failed = lines.findLast((l) => l.startsWith("FAILED "))?.slice("FAILED ".length);
  const error = failed ?? lines.findLast((l) => /error|Error/.test(l)) ?? lines.at(-1) ?? "";
  return error.trim().slice(0, 200);
}

function selected(plans: WorkloadPlan[], only: string | undefined): WorkloadPlan[] {
  if (only === undefined) return plans;
  const wanted = only.split(",").map((s) => s.trim());
  return plans.filter((plan, index) => wanted.includes(String(index + 1)) || wanted.includes(plan.id));
}

function commandOutput(argv: string[]): string | undefined {
  try {
    const result = Bun.spawnSync(argv, { stdout: "pipe", stderr: "ignore" });
    return result.exitCode === 0 ? result.stdout.toString().trim() : undefined;
  } catch {
    return undefined;
  }
}

function packageVersion(name: string): string | undefined {
  const path = resolve(PEERS_DIR, "node_modules", name, "package.json");
  return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as { version: string }).version : undefined;
}

function versions(): Record<string, string> {
  const found: Record<string, string | undefined> = {
    bun: Bun.version,
    node: commandOutput(["node", "--version"])?.replace(/^v/, ""),
    "node-pty": packageVersion("node-pty"),
    ws: packageVersion("ws"),
    websocketd: commandOutput(["dpkg-query", "-W", "-f", "${Version}", "websocketd"]),
    terminado: commandOutput(["dpkg-query", "-W", "-f", "${Version}", "python3-terminado"]),
  };
  return Object.fromEntries(Object.entries(found).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

function machine(): Record<string, string | number> {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
    totalMemoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { quick: { type: "boolean", default: false }, only: { type: "string" } },
  });
  const mode: ModeName = values.quick ? "quick" : "full";
  const sizes = SIZES[mode];
  const started = performance.now();
  const fixtures = {
    pipeFile: await randomFile(sizes.pipeBytes),
    ptyFile: await randomFile(sizes.ptyBytes),
    ptyExpectedBytes: base64TerminalBytes(sizes.ptyBytes),
  };
  const plans = selected(buildPlan(sizes, fixtures), values.only);
  const timeoutMs = mode === "quick" ? 120_000 : 900_000;
  const workloads: WorkloadResult[] = [];
  for (const plan of plans) {
    const rows: RowResult[] = [];
    for (const testCase of plan.cases) {
      process.stderr.write(`  ${plan.id}: ${testCase.label} ...`);
      const row = await runCase(plan, testCase, mode, timeoutMs);
      process.stderr.write(` ${row.skipped ? "skipped" : row.error ? "failed" : "done"} (${row.seconds.toFixed(1)} s)\n`);
      rows.push(row);
    }
    scoreWorkload(plan, rows);
    const result: WorkloadResult = { id: plan.id, title: plan.title, detail: plan.detail, metrics: plan.metrics, rows };
    workloads.push(result);
  }
  const results: BenchResults = {
    date: new Date().toISOString(),
    mode,
    durationSeconds: (performance.now() - started) / 1000,
    machine: machine(),
    versions: versions(),
    ptyBackends: PTY_BACKENDS,
    sizes,
    workloads,
  };
  const name = values.only === undefined ? "results" : "results-partial";
  await Bun.write(resolve(BENCH_DIR, `${name}.json`), `${JSON.stringify(results, null, 2)}\n`);
  await Bun.write(resolve(BENCH_DIR, `${name}.svg`), renderSvg(results));
  process.stdout.write(`${formatResults(results)}\n\nwrote bench/${name}.json and bench/${name}.svg\n`);
  const failed = workloads.flatMap((w) => w.rows).filter((row) => row.error !== undefined);
  return failed.length > 0 ? 1 : 0;
}

process.exitCode = await main();
