import { describeLeaks, inspectDaemon, isClean } from "./leak-check.ts";
import { describeProc, descendantsOf, openFds, procsWithEnv, readProc } from "./proc-tree.ts";

/**
 * Asserts, typically in `afterAll`, that a test file left nothing behind:
 * no process it started is alive (its own descendants and every tracked
 * daemon's, zombies included; processes carrying a tracked environment marker,
 * wherever they were re-parented), and every tracked daemon that is still
 * running is back to its baseline fd count.
 *
 *   const guard = new LeakGuard();
 *   beforeAll(async () => { daemon = await startDaemon(...); guard.trackDaemon(daemon.pid); });
 *   afterAll(async () => { await guard.assertClean(); await daemon.stop(); await guard.assertClean(); });
 */
export class LeakGuard {
  private readonly preexisting: Set<number>;
  private readonly daemons = new Map<number, Map<number, string>>();
  private readonly markers = new Set<string>();

  constructor() {
    // Whatever already ran under this process (other files' daemons) is not ours to judge.
    this.preexisting = new Set(descendantsOf([process.pid]).map((proc) => proc.pid));
  }

  /**
   * Records the daemon's open fds now as its baseline. Call it when the daemon
   * is idle (no connection open), ideally after one warm-up connection.
   */
  trackDaemon(pid: number): void {
    this.daemons.set(pid, openFds(pid));
  }

  /** An `NAME=value` entry the test puts in its children's environment, to find escapees. */
  trackMarker(entry: string): void {
    this.markers.add(entry);
  }

  /** Problems found, after waiting up to `timeoutMs` for asynchronous cleanup to finish. */
  async check(timeoutMs = 5_000): Promise<string[]> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const problems = this.look();
      if (problems.length === 0 || performance.now() > deadline) return problems;
      await Bun.sleep(50);
    }
  }

  /**
   * The usual afterAll: checks with the daemon still up (its fds back to baseline),
   * stops it (whatever the check said), then checks nothing it started is left.
   */
  async assertCleanAround(stop: () => Promise<unknown>): Promise<void> {
    try {
      await this.assertClean();
    } finally {
      await stop();
    }
    await this.assertClean();
  }

  async assertClean(timeoutMs?: number): Promise<void> {
    const problems = await this.check(timeoutMs);
    if (problems.length > 0) throw new Error(`leak guard:\n  ${problems.join("\n  ")}`);
  }

  private look(): string[] {
    const problems: string[] = [];
    const liveDaemons = [...this.daemons.keys()].filter((pid) => {
      const info = readProc(pid);
      return info !== undefined && info.state !== "Z";
    });
    for (const pid of liveDaemons) {
      const leaks = inspectDaemon(pid, this.daemons.get(pid)!);
      if (!isClean(leaks)) problems.push(...describeLeaks(leaks).map((line) => `daemon ${pid}: ${line}`));
    }
    // A live tracked daemon is allowed (the caller stops it later); its subtree was judged above.
    const allowed = new Set([...this.preexisting, ...liveDaemons]);
    const underDaemons = new Set(descendantsOf(liveDaemons).map((proc) => proc.pid));
    for (const proc of descendantsOf([process.pid])) {
      if (allowed.has(proc.pid) || underDaemons.has(proc.pid)) continue;
      problems.push(`still present: ${describeProc(proc)}`);
    }
    for (const marker of this.markers) {
      for (const proc of procsWithEnv(marker)) problems.push(`escaped (${marker}): ${describeProc(proc)}`);
    }
    return problems;
  }
}
