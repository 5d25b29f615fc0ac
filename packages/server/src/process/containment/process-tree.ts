import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { killGroup } from "../backends/backend.ts";

/** Everything a child started, however it tried to leave: its group, its descendants, escapees. */
export interface ProcessTree {
  /** SIGKILLs every process of the tree. Safe to call after the leader exited. */
  kill(): void;
  /** Forgets the tree once nothing of it is left; false while something still is. */
  release(): boolean;
}

export interface TreeTracker {
  /** `cgroup`: every descendant, setsid and double forks included; `process-group`: see README. */
  readonly mode: "cgroup" | "process-group";
  /** Runs `start` (which spawns one child, synchronously) so that the child's tree is tracked from its first instruction. */
  spawn<T extends { readonly pid: number }>(start: () => T): { child: T; tree: ProcessTree };
  dispose(): Promise<void>;
}

/**
 * A cgroup v2 directory per child catches every descendant, including ones that
 * call setsid or double-fork, and `cgroup.kill` ends them all at once. Where the
 * daemon may not create cgroups, it falls back to the process group plus the
 * descendants it can still find by parent pid.
 */
export function createTreeTracker(afterKill: () => void = () => {}): TreeTracker {
  const fallback = processGroupTracker(afterKill);
  const place = cgroupPlace();
  if (place) {
    try {
      removeStaleCgroups(place.home);
      mkdirSync(place.base, { recursive: true });
      return new CgroupTracker(place.home, place.base, fallback, afterKill);
    } catch {
      // Not permitted here: fall back.
    }
  }
  return fallback;
}

function processGroupTracker(afterKill: () => void): TreeTracker {
  const tree = (pid: number): ProcessTree => ({
    kill: () => {
      killGroupAndDescendants(pid);
      afterKill();
    },
    release: () => true,
  });
  return {
    mode: "process-group",
    spawn(start) {
      const child = start();
      return { child, tree: tree(child.pid) };
    },
    async dispose() {},
  };
}

const NOT_PERMITTED = new Set(["EACCES", "EPERM", "EROFS", "ENOTSUP", "EOPNOTSUPP"]);

class CgroupTracker implements TreeTracker {
  readonly mode = "cgroup" as const;
  private readonly live = new Set<string>();
  private failed = false;
  private created = 0;

  constructor(
    /** The daemon's own cgroup, where it returns after each spawn. */
    private readonly home: string,
    private readonly base: string,
    private readonly fallback: TreeTracker,
    private readonly afterKill: () => void,
  ) {}

  /**
   * The daemon steps into a fresh cgroup for the duration of the (synchronous)
   * spawn, so the child is born in it: nothing it forks can get out first. The
   * daemon steps back before anything else can run, so it is never in a cgroup
   * that gets killed.
   */
  spawn<T extends { readonly pid: number }>(start: () => T): { child: T; tree: ProcessTree } {
    if (this.failed) return this.fallback.spawn(start);
    const dir = join(this.base, `c${++this.created}`);
    try {
      mkdirSync(dir);
      writeFileSync(join(dir, "cgroup.procs"), String(process.pid));
    } catch (error) {
      removeCgroup(dir);
      // Not permitted (a hierarchy that refuses us): stop trying for later children.
      if (NOT_PERMITTED.has((error as NodeJS.ErrnoException).code ?? "")) this.failed = true;
      return this.fallback.spawn(start);
    }
    let child: T;
    try {
      child = start();
    } finally {
      this.stepBack(dir);
    }
    this.live.add(dir);
    return {
      child,
      tree: {
        kill: () => {
          killGroup(child.pid, "SIGKILL");
          killCgroup(dir);
          this.afterKill();
        },
        release: () => {
          if (!removeCgroup(dir)) return false;
          this.live.delete(dir);
          return true;
        },
      },
    };
  }

  private stepBack(dir: string): void {
    try {
      writeFileSync(join(this.home, "cgroup.procs"), String(process.pid));
    } catch (error) {
      // Unreachable in practice (moving in needed the same rights); if it happens,
      // this cgroup now holds the daemon and must never be killed: stop using cgroups.
      this.failed = true;
      throw new Error(`cannot leave cgroup ${dir}: ${(error as Error).message}`);
    }
  }

  /** Kills what is left and removes every cgroup, waiting briefly for killed members to leave. */
  async dispose(): Promise<void> {
    for (const dir of this.live) killCgroup(dir);
    for (let attempt = 0; attempt < 100; attempt++) {
      for (const dir of [...this.live]) if (removeCgroup(dir)) this.live.delete(dir);
      if (this.live.size === 0 && removeCgroup(this.base)) return;
      await Bun.sleep(20);
    }
  }

}

/** The daemon's cgroup and `<it>/exec-server-<pid>` for its children, when cgroup v2 is mounted. */
function cgroupPlace(): { home: string; base: string } | undefined {
  try {
    const mount = readFileSync("/proc/self/mountinfo", "utf8")
      .split("\n")
      .map((line) => line.split(" "))
      .find((fields) => fields[fields.indexOf("-") + 1] === "cgroup2")?.[4];
    const own = /^0::(.*)$/m.exec(readFileSync("/proc/self/cgroup", "utf8"))?.[1];
    if (!mount || own === undefined) return undefined;
    const home = join(mount, own);
    return { home, base: join(home, `exec-server-${process.pid}`) };
  } catch {
    return undefined;
  }
}

/** Empty cgroups left by daemons that were killed before they could clean up. */
function removeStaleCgroups(home: string): void {
  for (const name of readdirSync(home)) {
    const pid = /^exec-server-(\d+)$/.exec(name)?.[1];
    if (pid === undefined || existsSync(`/proc/${pid}`)) continue;
    const dir = join(home, name);
    for (const child of readdirSync(dir, { withFileTypes: true })) {
      if (child.isDirectory()) removeCgroup(join(dir, child.name));
    }
    removeCgroup(dir);
  }
}

function killCgroup(dir: string): void {
  try {
    if (existsSync(join(dir, "cgroup.kill"))) {
      writeFileSync(join(dir, "cgroup.kill"), "1");
      return;
    }
    // Kernels before 5.14: kill what is listed (new forks are caught by a second pass).
    for (let pass = 0; pass < 3; pass++) {
      const pids = readFileSync(join(dir, "cgroup.procs"), "utf8").split("\n").filter(Boolean);
      if (pids.length === 0) return;
      for (const pid of pids) killPid(Number(pid));
    }
  } catch {
    // Already removed.
  }
}

/** Removes an empty cgroup; false while processes are still in it (they are being killed). */
function removeCgroup(dir: string): boolean {
  try {
    rmdirSync(dir);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ENOENT";
  }
}

function killPid(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // Gone already.
  }
}

/** SIGKILL to the group, then to every process whose parent chain leads to `pid` (setsid children included). */
export function killGroupAndDescendants(pid: number): void {
  const descendants = findDescendants(pid);
  killGroup(pid, "SIGKILL");
  for (const child of descendants) killPid(child);
}

function findDescendants(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      // Field 4 of stat is the parent pid; the command name (field 2) may hold spaces, so parse after ")".
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parentOf.set(pid, ppid);
    } catch {
      // Exited while we looked.
    }
  }
  const found: number[] = [];
  for (const pid of parentOf.keys()) {
    for (let up = parentOf.get(pid); up !== undefined && up > 1; up = parentOf.get(up)) {
      if (up === root) {
        found.push(pid);
        break;
      }
    }
  }
  return found;
}
