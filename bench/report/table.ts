import { fmt, type BenchResults, type WorkloadResult } from "./results.ts";

const LABEL_WIDTH = 28;
const COLUMN_WIDTH = 12;

function pad(text: string, width: number): string {
  return text.length >= width ? `${text} ` : text + " ".repeat(width - text.length);
}

function padLeft(text: string, width: number): string {
  return text.length >= width ? ` ${text}` : " ".repeat(width - text.length) + text;
}

/** One workload as text: a value row per target, and under each exec-server row its ratios. */
export function formatWorkload(workload: WorkloadResult): string {
  const lines: string[] = [];
  const better = [...new Set(workload.metrics.map((m) => m.better))].map((b) => `${b} is better`).join(", ");
  lines.push(`${workload.title}: ${workload.detail} (${better})`);
  lines.push(`  ${pad("target", LABEL_WIDTH)}${workload.metrics.map((m) => padLeft(m.label, COLUMN_WIDTH)).join("")}`);
  for (const row of workload.rows) {
    const label = `  ${pad(row.label, LABEL_WIDTH)}`;
    if (row.skipped !== undefined) {
      lines.push(`${label}skipped: ${row.skipped}`);
      continue;
    }
    if (row.error !== undefined || !row.metrics) {
      lines.push(`${label}failed: ${row.error ?? "no result"}`);
      continue;
    }
    const values = workload.metrics.map((m) => padLeft(fmt(row.metrics![m.key]!), COLUMN_WIDTH)).join("");
    lines.push(`${label}${values}${row.warning ? `   (!) ${row.warning}` : ""}`);
    for (const [reference, ratios] of Object.entries(row.ratios ?? {})) {
      const cells = workload.metrics.map((m) => padLeft(`${fmt(ratios[m.key]!)}×`, COLUMN_WIDTH)).join("");
      lines.push(`    ${pad(`÷ ${reference}`, LABEL_WIDTH - 2)}${cells}`);
    }
    if (row.goals && row.goals.length > 0) {
      lines.push(`    goals: ${row.goals.map((g) => `${g.met ? "met" : "MISSED"} ${g.text}`).join("; ")}`);
    }
  }
  return lines.join("\n");
}

export function formatResults(results: BenchResults): string {
  const machine = results.machine;
  const header = [
    `exec-server bench (${results.mode}) ${results.date}`,
    `machine: ${machine.cpuModel} × ${machine.cores}, ${machine.totalMemoryGiB} GiB, ${machine.os}; ` +
      Object.entries(results.versions)
        .map(([name, version]) => `${name} ${version}`)
        .join(", "),
    "ratios are exec-server ÷ the named row, in the metric's own terms (for ms and MiB, lower is better)",
  ];
  const footer = `total ${results.durationSeconds.toFixed(0)} s`;
  return [header.join("\n"), ...results.workloads.map(formatWorkload), footer].join("\n\n");
}
