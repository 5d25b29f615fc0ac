import type { Role } from "../plan.ts";
import { fmt, type BenchResults, type RowResult, type WorkloadResult } from "./results.ts";

const WIDTH = 960;
const LABEL_X = 16;
const BAR_X = 230;
const BAR_WIDTH = 430;
const ROW_HEIGHT = 18;
const COLORS: Record<Role, string> = { ours: "#2f6fdf", peer: "#e08a2e", baseline: "#9a9a9a" };

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function text(x: number, y: number, content: string, attributes = ""): string {
  return `<text x="${x}" y="${y}" ${attributes}>${escape(content)}</text>`;
}

/** The headline ratio of an exec-server row: to the in-process limit if measured, else to the first peer. */
function headlineRatio(row: RowResult, metric: string): string {
  const entries = Object.entries(row.ratios ?? {});
  const [reference, ratios] = entries.find(([label]) => label.startsWith("in-process")) ?? entries[0] ?? [];
  if (reference === undefined || ratios === undefined) return "";
  return ` · ${fmt(ratios[metric]!)}× ${reference}`;
}

function panel(workload: WorkloadResult, top: number): { svg: string[]; height: number } {
  const svg: string[] = [];
  let y = top + 18;
  svg.push(text(LABEL_X, y, `${workload.title}: ${workload.detail}`, 'font-weight="bold"'));
  y += 6;
  for (const metric of workload.metrics) {
    const rows = workload.rows.filter((row) => row.metrics?.[metric.key] !== undefined);
    if (rows.length === 0) continue;
    // The kernel's own rates dwarf everything else: they are drawn off scale, not scaled to.
    const scaled = rows.filter((row) => !row.kind.startsWith("kernel"));
    const max = Math.max(...(scaled.length > 0 ? scaled : rows).map((row) => row.metrics![metric.key]!));
    y += 16;
    svg.push(text(LABEL_X, y, `${metric.label} (${metric.better} is better)`, 'fill="#555"'));
    for (const row of rows) {
      y += ROW_HEIGHT;
      const value = row.metrics![metric.key]!;
      const offScale = value > max;
      const width = max > 0 ? Math.max(1, (Math.min(value, max) / max) * BAR_WIDTH) : 1;
      svg.push(text(LABEL_X + 8, y - 4, row.label));
      svg.push(
        `<rect x="${BAR_X}" y="${y - ROW_HEIGHT + 4}" width="${width.toFixed(1)}" height="${ROW_HEIGHT - 6}" fill="${COLORS[row.role]}"/>`,
      );
      const note = row.role === "ours" ? headlineRatio(row, metric.key) : "";
      const warning = row.warning ? " (!)" : "";
      const mark = offScale ? " (off scale)" : "";
      svg.push(text(BAR_X + width + 6, y - 4, `${fmt(value)} ${metric.unit}${mark}${note}${warning}`));
    }
  }
  return { svg, height: y - top + 14 };
}

/** A bar chart of every workload, values scaled per metric, exec-server rows labelled with their ratio. */
export function renderSvg(results: BenchResults): string {
  const body: string[] = [];
  let y = 0;
  const machine = results.machine;
  body.push(text(LABEL_X, 22, `exec-server bench (${results.mode}), ${results.date.slice(0, 10)}`, 'font-size="15" font-weight="bold"'));
  body.push(text(LABEL_X, 40, `${machine.cpuModel} × ${machine.cores}, ${machine.totalMemoryGiB} GiB; bun ${results.versions.bun}`, 'fill="#555"'));
  const legend = (["ours", "peer", "baseline"] as const).map((role, i) => {
    const x = WIDTH - 300 + i * 95;
    const name = role === "ours" ? "exec-server" : role;
    return `<rect x="${x}" y="29" width="12" height="12" fill="${COLORS[role]}"/>${text(x + 16, 40, name)}`;
  });
  body.push(...legend);
  y = 48;
  for (const workload of results.workloads) {
    const part = panel(workload, y);
    body.push(...part.svg);
    y += part.height;
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y + 10}" viewBox="0 0 ${WIDTH} ${y + 10}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    ...body,
    "</svg>",
    "",
  ].join("\n");
}
