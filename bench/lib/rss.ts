import { readFileSync, writeFileSync } from "node:fs";

const MiB = 1024 * 1024;

function statusField(pid: number, field: "VmRSS" | "VmHWM"): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"));
  if (!match) throw new Error(`no ${field} for pid ${pid}`);
  return (Number(match[1]) * 1024) / MiB;
}

/** Resident memory of one process, in MiB. */
export function rssMiB(pid: number): number {
  return statusField(pid, "VmRSS");
}

/** Peak resident memory since start or since `resetPeak`, in MiB. */
export function peakRssMiB(pid: number): number {
  return statusField(pid, "VmHWM");
}

/** Resets the kernel's peak RSS mark to the current RSS; false when not permitted. */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

/** The server's pid and its RSS after it settled, for workloads that measure growth above idle. */
export async function settledServerRss(serverPid: number | undefined, workload: string): Promise<{ pid: number; idle: number }> {
  if (serverPid === undefined) throw new Error(`${workload} needs a server`);
  await Bun.sleep(500);
  return { pid: serverPid, idle: rssMiB(serverPid) };
}
