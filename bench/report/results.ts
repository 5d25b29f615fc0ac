import type { ModeName, Sizes } from "../config.ts";
import type { Goal, MetricDef, Role, WorkloadPlan } from "../plan.ts";

export interface GoalResult {
  readonly text: string;
  readonly met: boolean;
}

export interface RowResult {
  readonly label: string;
  readonly role: Role;
  readonly kind: string;
  readonly seconds: number;
  readonly metrics?: Record<string, number>;
  readonly details?: Record<string, unknown>;
  readonly warning?: string;
  /** The peer is not installed here. */
  readonly skipped?: string;
  /** The measurement ran and failed. */
  readonly error?: string;
  /** ours ÷ reference, per reference row label, per metric. */
  ratios?: Record<string, Record<string, number>>;
  goals?: GoalResult[];
}

export interface WorkloadResult {
  readonly id: string;
  readonly title: string;
  readonly detail: string;
  readonly metrics: readonly MetricDef[];
  readonly rows: RowResult[];
}

export interface BenchResults {
  readonly date: string;
  readonly mode: ModeName;
  readonly durationSeconds: number;
  readonly machine: Record<string, string | number>;
  readonly versions: Record<string, string>;
  readonly ptyBackends: readonly string[];
  readonly sizes: Sizes;
  readonly workloads: WorkloadResult[];
}

/** Fills in each exec-server row's ratios to every other measured row, and checks the goals. */
export function scoreWorkload(plan: WorkloadPlan, rows: RowResult[]): void {
  const references = rows.filter((row) => row.role !== "ours" && row.metrics);
  for (const row of rows) {
    if (row.role !== "ours" || !row.metrics) continue;
    const values = row.metrics;
    row.ratios = {};
    const rowCase = plan.cases.find((c) => c.label === row.label);
    // A row with its own goals is also compared with the exec-server rows they name.
    const named = rows.filter((other) => other !== row && other.metrics && rowCase?.goals?.some((goal) => goal.vs === other.label));
    for (const reference of [...references, ...named]) {
      const ratios: Record<string, number> = {};
      for (const metric of plan.metrics) ratios[metric.key] = values[metric.key]! / reference.metrics![metric.key]!;
      row.ratios[reference.label] = ratios;
    }
    if (rowCase?.checked === true) row.goals = (rowCase.goals ?? plan.goals).flatMap((goal) => checkGoal(goal, row, plan.metrics));
  }
}

function checkGoal(goal: Goal, row: RowResult, metrics: readonly MetricDef[]): GoalResult[] {
  const metric = metrics.find((m) => m.key === goal.metric)!;
  const bound = goal.min !== undefined ? `≥ ${goal.min}` : `≤ ${goal.max}`;
  const value = goal.vs === undefined ? row.metrics![goal.metric] : row.ratios?.[goal.vs]?.[goal.metric];
  if (value === undefined) return [];
  const met = (goal.min === undefined || value >= goal.min) && (goal.max === undefined || value <= goal.max);
  const text =
    goal.vs === undefined
      ? `${metric.label} ${bound} ${metric.unit} (${fmt(value)})`
      : `${metric.label} ${bound}× ${goal.vs} (${fmt(value)}×)`;
  return [{ text, met }];
}

export function fmt(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  return abs >= 100 ? value.toFixed(0) : abs >= 10 ? value.toFixed(1) : abs >= 1 ? value.toFixed(2) : value.toFixed(3);
}
