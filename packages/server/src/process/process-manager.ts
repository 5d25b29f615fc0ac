import type { ServerConfig } from "../config.ts";
import type { ChildHandle, ProcessBackend, SpawnSpec } from "./backends/backend.ts";
import type { LiveSink } from "./output/live-sink.ts";
import { ManagedProcess } from "./managed-process.ts";
import { pipeBackend } from "./backends/pipe-backend.ts";
import { ptyFfiBackend } from "./backends/pty-ffi/pty-ffi-backend.ts";
import { ptyNativeBackend } from "./backends/pty-native-backend.ts";
import { createTreeTracker, type TreeTracker } from "./containment/process-tree.ts";
import { becomeSubreaper, type Subreaper } from "./containment/subreaper.ts";
import { TerminalScreen } from "./screen/terminal-screen.ts";

/**
 * Spawns children on the right backend and knows every live one, so the daemon
 * can kill them all on shutdown whichever connection owns them.
 */
export class ProcessManager {
  /** Every process not yet disposed, running or exited (an exited one may have left escapees). */
  private readonly owned = new Set<ManagedProcess>();
  private readonly ptyBackend: ProcessBackend;
  private readonly subreaper: Subreaper | undefined;
  readonly trees: TreeTracker = createTreeTracker(() => this.reapSoon());
  private reapTimers = 0;

  constructor(readonly config: ServerConfig) {
    this.subreaper = config.subreaper ? becomeSubreaper() : undefined;
    this.ptyBackend = config.ptyBackend === "ffi" ? ptyFfiBackend : ptyNativeBackend;
  }

  /** Rejects with a SpawnError when the backend for this kind of child cannot run. */
  async prepare(tty: boolean): Promise<void> {
    await (tty ? this.ptyBackend : pipeBackend).prepare?.();
  }

  /** Throws SpawnError when the OS refuses. */
  spawn(processId: string, spec: SpawnSpec, tty: boolean, sink: LiveSink): ManagedProcess {
    const backend = tty ? this.ptyBackend : pipeBackend;
    const { child, tree } = this.trees.spawn((): ChildHandle => backend.spawn(spec));
    this.subreaper?.own(child.pid, child.exited);
    const screen = tty
      ? new TerminalScreen({
          cols: spec.cols,
          rows: spec.rows,
          scrollbackLines: this.config.scrollbackLines,
          // Programs that query the terminal (DA, CPR) would hang without an answer.
          onReply: this.config.answerTerminalQueries ? (bytes) => void child.write(bytes).catch(() => {}) : undefined,
        })
      : undefined;
    const managed = new ManagedProcess({ processId, argv: spec.argv, child, tty, tree, screen }, this.config, sink);
    this.owned.add(managed);
    // Kept until reaped too, so shutdown waits for children already being killed.
    managed.onDisposed(() => void child.exited.then(() => this.owned.delete(managed)));
    return managed;
  }

  get runningCount(): number {
    let running = 0;
    for (const managed of this.owned) if (managed.running) running++;
    return running;
  }

  /** Kills every child's whole tree and waits until the children have exited. */
  async killAll(): Promise<void> {
    const all = [...this.owned];
    for (const managed of all) managed.dispose();
    await Promise.all(all.map((managed) => managed.child.exited));
    await this.trees.dispose();
    this.subreaper?.dispose();
  }

  /** After a kill, reaps the orphans it made soon rather than at the next periodic sweep. */
  private reapSoon(): void {
    if (!this.subreaper || this.reapTimers > 0) return;
    for (const delay of [10, 50, 200]) {
      this.reapTimers++;
      setTimeout(() => {
        this.reapTimers--;
        this.subreaper?.sweep();
      }, delay).unref();
    }
  }
}
