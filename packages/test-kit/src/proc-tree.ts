import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** One process as /proc/<pid>/stat describes it. */
export interface ProcInfo {
  readonly pid: number;
  readonly ppid: number;
  readonly pgid: number;
  readonly sid: number;
  /** R, S, D, Z (zombie), T (stopped), X (dead), ... */
  readonly state: string;
  readonly comm: string;
}

/** Parses /proc/<pid>/stat; undefined when the process is gone. */
export function readProc(pid: number): ProcInfo | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // comm may hold spaces and parentheses: the fields start after the last ')'.
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  const fields = text.slice(close + 2).split(" ");
  return {
    pid,
    comm: text.slice(open + 1, close),
    state: fields[0] ?? "?",
    ppid: Number(fields[1]),
    pgid: Number(fields[2]),
    sid: Number(fields[3]),
  };
}

/** Every process visible in /proc (thread-group leaders only). */
export function listProcs(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const info = readProc(Number(name));
    if (info) out.push(info);
  }
  return out;
}

/** All descendants of the given roots (not the roots), zombies included. */
export function descendantsOf(roots: readonly number[], procs: readonly ProcInfo[] = listProcs()): ProcInfo[] {
  const children = new Map<number, ProcInfo[]>();
  for (const proc of procs) {
    const list = children.get(proc.ppid);
    if (list) list.push(proc);
    else children.set(proc.ppid, [proc]);
  }
  const out: ProcInfo[] = [];
  const queue = [...roots];
  const seen = new Set<number>(roots);
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      if (seen.has(child.pid)) continue;
      seen.add(child.pid);
      out.push(child);
      queue.push(child.pid);
    }
  }
  return out;
}

/**
 * Live processes whose environment holds `NAME=value`. Finds descendants that
 * were re-parented away from their tree (setsid, double fork). Zombies have no
 * readable environment and are not found this way.
 */
export function procsWithEnv(entry: string, procs: readonly ProcInfo[] = listProcs()): ProcInfo[] {
  const needle = Buffer.from(`\0${entry}\0`);
  const lead = Buffer.from([0]);
  return procs.filter((proc) => {
    if (proc.pid === process.pid) return false;
    try {
      return Buffer.concat([lead, readFileSync(`/proc/${proc.pid}/environ`)]).includes(needle);
    } catch {
      return false;
    }
  });
}

/** The command line of a live process, for messages; empty for zombies. */
export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ");
  } catch {
    return "";
  }
}

/** Open fds of a process with what each points at (`socket:[…]`, `pipe:[…]`, a path). */
export function openFds(pid: number): Map<number, string> {
  const out = new Map<number, string>();
  let names: string[];
  try {
    names = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return out;
  }
  for (const name of names) {
    try {
      out.set(Number(name), readlinkSync(`/proc/${pid}/fd/${name}`));
    } catch {
      // closed between readdir and readlink
    }
  }
  return out;
}

export function fdCount(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return -1;
  }
}

/** Resident set size in bytes (VmRSS), or -1 when the process is gone. */
export function rssBytes(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
    return kib === undefined ? -1 : Number(kib) * 1024;
  } catch {
    return -1;
  }
}

/** Whether the pid exists and is not a zombie. */
export function isLive(pid: number): boolean {
  const info = readProc(pid);
  return info !== undefined && info.state !== "Z" && info.state !== "X";
}

export function describeProc(proc: ProcInfo): string {
  const command = cmdline(proc.pid) || `[${proc.comm}]`;
  return `pid ${proc.pid} (ppid ${proc.ppid}, pgid ${proc.pgid}, sid ${proc.sid}, state ${proc.state}) ${command}`;
}

/** The pid exists in any state, a zombie included (unlike `isLive`): `kill(pid, 0)` succeeds. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
