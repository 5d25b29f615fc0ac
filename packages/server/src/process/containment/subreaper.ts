import { dlopen, FFIType, ptr } from "bun:ffi";
import { readdirSync, readFileSync } from "node:fs";

const PR_SET_CHILD_SUBREAPER = 36;
const WNOHANG = 1;
const SWEEP_INTERVAL_MS = 1000;

export interface Subreaper {
  /** Pids Bun spawned and will reap itself: never touched by a sweep. */
  own(pid: number, exited: Promise<unknown>): void;
  /** Reaps orphaned descendants that have exited (zombies re-parented to the daemon). */
  sweep(): void;
  dispose(): void;
}

let instance: Subreaper | undefined | null;

/**
 * Makes this process a child subreaper: descendants orphaned by a double fork
 * are re-parented to it instead of init, so they stay in reach and, once
 * killed, are reaped here (Bun reaps only what it spawned). One per process,
 * shared by every ProcessManager in it; only for a process whose children all
 * come from them (the daemon), since a sweep reaps any other exited child.
 * Returns undefined where prctl is unavailable.
 */
export function becomeSubreaper(): Subreaper | undefined {
  if (instance === undefined) instance = createSubreaper() ?? null;
  return instance ?? undefined;
}

function createSubreaper(): Subreaper | undefined {
  let libc;
  try {
    libc = dlopen("libc.so.6", {
      prctl: { args: [FFIType.i32, FFIType.u64, FFIType.u64, FFIType.u64, FFIType.u64], returns: FFIType.i32 },
      waitpid: { args: [FFIType.i32, FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
    });
  } catch {
    return undefined;
  }
  if (libc.symbols.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) !== 0) {
    libc.close();
    return undefined;
  }
  const { waitpid } = libc.symbols;
  const status = new Int32Array(1);
  const spawned = new Set<number>();
  const sweep = () => {
    for (const pid of childPids()) {
      if (!spawned.has(pid) && isZombie(pid)) waitpid(pid, ptr(status), WNOHANG);
    }
  };
  const timer = setInterval(sweep, SWEEP_INTERVAL_MS);
  timer.unref();
  return {
    own(pid, exited) {
      spawned.add(pid);
      void exited.finally(() => spawned.delete(pid));
    },
    sweep,
    dispose() {
      // Shared by the whole process: a last sweep, but the subreaper stays.
      sweep();
    },
  };
}

function childPids(): number[] {
  const pids: number[] = [];
  for (const task of readdirSync("/proc/self/task")) {
    try {
      for (const pid of readFileSync(`/proc/self/task/${task}/children`, "utf8").split(" ")) {
        if (pid.trim() !== "") pids.push(Number(pid));
      }
    } catch {
      // The thread ended while we looked.
    }
  }
  return pids;
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat[stat.lastIndexOf(")") + 2] === "Z";
  } catch {
    return false;
  }
}
