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
function retainedCost(managed: ManagedProcess): number {
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
  /** Each exited process with its cost, taken when it exited (output trailing the exit is not re-counted). */
  private readonly exited = new Map<ManagedProcess, number>();
  private bytes = 0;

  constructor(
    private readonly limits: ExitedLimits,
    private readonly evict: (managed: ManagedProcess) => void,
  ) {}

  /** A process has exited: count it, then evict the oldest past either bound. */
  add(managed: ManagedProcess): void {
    const cost = retainedCost(managed);
    this.bytes += cost - (this.exited.get(managed) ?? 0);
    this.exited.set(managed, cost);
    for (const oldest of this.exited.keys()) {
      if (oldest === managed) break;
      if (this.exited.size <= this.limits.maxExitedProcesses && this.bytes <= this.limits.maxExitedBytes) break;
      this.delete(oldest);
      this.evict(oldest);
    }
  }

  delete(managed: ManagedProcess): void {
    this.bytes -= this.exited.get(managed) ?? 0;
    this.exited.delete(managed);
  }

  clear(): void {
    this.exited.clear();
    this.bytes = 0;
  }
}
