import type { ModeName } from "../config.ts";
import type { TargetSpec } from "../targets/target.ts";

export type WorkloadId =
  | "pipe-throughput"
  | "pty-throughput"
  | "echo-latency"
  | "spawn-rate"
  | "idle-scale"
  | "slow-consumer"
  | "protocol-overhead"
  | "file-transfer"
  | "page-echo";

/** What the harness asks one client process to measure. */
export interface MeasureRequest {
  readonly workload: WorkloadId;
  readonly spec: TargetSpec;
  readonly mode: ModeName;
  /** Output bytes a throughput run must deliver, exactly. */
  readonly expectedBytes?: number;
}

export interface Measurement {
  readonly metrics: Record<string, number>;
  readonly details?: Record<string, unknown>;
  /** Something off about this measurement that the report must show next to it. */
  readonly warning?: string;
}

export const MiB = 1024 * 1024;

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: Timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]);
}
