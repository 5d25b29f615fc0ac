import { describeProc, descendantsOf, openFds, procsWithEnv, readProc, type ProcInfo } from "./proc-tree.ts";

export interface DaemonLeaks {
  /** Descendants still present (zombies included), minus the allowed ones. */
  readonly processes: readonly ProcInfo[];
  readonly fdBaseline: number;
  readonly fdNow: number;
  /** Kinds of fd above the baseline, e.g. `pipe ×2`, `socket ×1`. */
  readonly extraFds: readonly string[];
}

export function isClean(leaks: DaemonLeaks): boolean {
  return leaks.processes.length === 0 && leaks.fdNow <= leaks.fdBaseline;
}

export function describeLeaks(leaks: DaemonLeaks): string[] {
  const out = leaks.processes.map((proc) => `left behind: ${describeProc(proc)}`);
  if (leaks.fdNow > leaks.fdBaseline) {
    out.push(`fds: ${leaks.fdNow} open, baseline ${leaks.fdBaseline} (extra: ${leaks.extraFds.join(", ")})`);
  }
  return out;
}

/** `socket:[123]` → `socket`, `/dev/pts/4` → `/dev/pts/N`: what an fd is, not which. */
export function fdKind(target: string): string {
  return target.replace(/:\[\d+\]$/, "").replace(/^\/dev\/pts\/\d+$/, "/dev/pts/N");
}

/** Kinds present more often now than in the baseline. */
export function extraFdKinds(baseline: ReadonlyMap<number, string>, now: ReadonlyMap<number, string>): string[] {
  const count = (fds: ReadonlyMap<number, string>) => {
    const out = new Map<string, number>();
    for (const target of fds.values()) out.set(fdKind(target), (out.get(fdKind(target)) ?? 0) + 1);
    return out;
  };
  const before = count(baseline);
  return [...count(now)]
    .filter(([kind, n]) => n > (before.get(kind) ?? 0))
    .map(([kind, n]) => `${kind} ×${n - (before.get(kind) ?? 0)}`);
}

/** One look at a live daemon: its descendants (except `allow`) and its fds against a baseline. */
export function inspectDaemon(pid: number, fdBaseline: ReadonlyMap<number, string>, allow: ReadonlySet<number> = new Set()): DaemonLeaks {
  const processes = descendantsOf([pid]).filter((proc) => !allow.has(proc.pid));
  const now = openFds(pid);
  return { processes, fdBaseline: fdBaseline.size, fdNow: now.size, extraFds: extraFdKinds(fdBaseline, now) };
}

/**
 * Polls until the daemon has no descendants and no fds above its baseline, or
 * the time is up; returns the last look. Closing happens asynchronously, so a
 * single look right after a disconnect would report false leaks.
 */
export async function waitDaemonSettled(
  pid: number,
  fdBaseline: ReadonlyMap<number, string>,
  timeoutMs = 10_000,
  allow: ReadonlySet<number> = new Set(),
): Promise<DaemonLeaks> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const leaks = inspectDaemon(pid, fdBaseline, allow);
    if (isClean(leaks) || performance.now() > deadline || readProc(pid) === undefined) return leaks;
    await Bun.sleep(50);
  }
}

/** Polls until no live process carries `NAME=value` in its environment; returns the survivors. */
export async function waitMarkedGone(entry: string, timeoutMs = 5_000): Promise<ProcInfo[]> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const survivors = procsWithEnv(entry);
    if (survivors.length === 0 || performance.now() > deadline) return survivors;
    await Bun.sleep(50);
  }
}

/** SIGKILLs every live process carrying the marker: cleanup after a test that found a leak. */
export function killMarked(entry: string): number {
  let killed = 0;
  for (const proc of procsWithEnv(entry)) {
    try {
      process.kill(proc.pid, "SIGKILL");
      killed++;
    } catch {
      // already gone
    }
  }
  return killed;
}

/** Polls until none of the pids exists any more (not even as a zombie); returns those still present. */
export async function waitReaped(pids: readonly number[], timeoutMs = 5_000): Promise<ProcInfo[]> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const present = pids.map(readProc).filter((info): info is ProcInfo => info !== undefined);
    if (present.length === 0 || performance.now() > deadline) return present;
    await Bun.sleep(50);
  }
}
