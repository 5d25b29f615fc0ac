import type { ManagedProcess } from "../process/managed-process.ts";

/** How many exited processes one session keeps readable, and how many bytes of output they may hold. */
export interface ExitedLimits {
  /** Exited processes kept for `process/read` (`--max-exited-processes`). */
  readonly maxExitedProcesses: number;
  /**
   * Retained output of those processes, all together, plus a fixed estimate per
   * process for its bookkeeping and screen model (`--max-exited-bytes`).
   */
  readonly maxExitedBytes: number;
}

// What an exited process costs beyond its ring, measured here: about 4 KiB of
// bookkeeping for a pipe process, about 0.25 MiB more for a PTY's screen model
// (kept so a finished program's last screen can still be read).
const PROCESS_OVERHEAD_BYTES = 4 * 1024;
const SCREEN_COST_BYTES = 256 * 1024;

/** The bytes an exited process counts against `maxExitedBytes`. */
export function retainedCost(managed: ManagedProcess): number {
  return managed.output.ring.retainedBytes + PROCESS_OVERHEAD_BYTES + (managed.screen ? SCREEN_COST_BYTES : 0);
}

export const DEFAULT_EXITED_LIMITS: ExitedLimits = {
  maxExitedProcesses: 1024,
  maxExitedBytes: 64 * 1024 * 1024,
};

/**
 * The exited processes of one session, oldest exit first. An exited process
 * stays readable for the retention period; a client that spawns in a loop would
 * otherwise hold rate × period of them, rings included. Past either bound the
 * oldest exited processes are forgotten early (their ids become unknown), so
 * starting a process is never refused because of old results. The newest one
 * is always kept.
 */
export class RetentionBudget {
  private readonly exited = new Set<ManagedProcess>();

  constructor(
    private readonly limits: ExitedLimits,
    private readonly evict: (managed: ManagedProcess) => void,
  ) {}


  /** A process has exited: count it, then evict the oldest past either bound. */
  add(managed: ManagedProcess): void {
    this.exited.add(managed);
    let bytes = 0;
    for (const each of this.exited) bytes += retainedCost(each);
    for (const oldest of this.exited) {
      if (oldest === managed) break;
      if (this.exited.size <= this.limits.maxExitedProcesses && bytes <= this.limits.maxExitedBytes) break;
      bytes -= retainedCost(oldest);
      this.exited.delete(oldest);
      this.evict(oldest);
    }
  }

  delete(managed: ManagedProcess): void {
    this.exited.delete(managed);
  }

  clear(): void {
    this.exited.clear();
  }
}
