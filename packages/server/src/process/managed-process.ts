import {
  RpcError,
  type ProcessInfo,
  type ReadResult,
  type SignalName,
  type SnapshotParams,
  type SnapshotResult,
  type WaitParams,
  type WaitResult,
} from "@x/exec-protocol";
import type { ChildHandle } from "./backends/backend.ts";
import type { ProcessTree } from "./containment/process-tree.ts";
import type { LiveSink } from "./output/live-sink.ts";
import { ProcessOutput, type OutputLimits } from "./output/process-output.ts";
import { describeProcess, readOutput, snapshotOutput, waitForOutput } from "./process-queries.ts";
import type { TerminalScreen } from "./screen/terminal-screen.ts";

/** How many recent writeIds a process remembers for idempotent retries. */
const REMEMBERED_WRITE_IDS = 1024;

export interface ProcessLimits extends OutputLimits {
  /** Bytes per stream in a snapshot (head and tail halves). */
  readonly snapshotStreamBytes: number;
}

/**
 * One child process: its input (idempotent writes), signals and termination of
 * its whole tree, and disposal. Its output, and when its exit is reported,
 * belong to `output`; questions about it are answered by process-queries.
 */
export class ManagedProcess {
  readonly startedAt = Date.now();
  readonly output: ProcessOutput;
  private isDisposed = false;
  private readonly disposeListeners: Array<() => void> = [];
  private readonly writesById = new Map<string, Promise<void>>();
  private stdinClosed = false;
  private graceKillTimer: Timer | undefined;

  readonly processId: string;
  readonly argv: readonly string[];
  readonly child: ChildHandle;
  readonly tty: boolean;
  private readonly tree: ProcessTree;
  /** PTY processes: the rendered screen, fed the same chunks as the ring. */
  readonly screen: TerminalScreen | undefined;

  constructor(
    parts: {
      processId: string;
      argv: readonly string[];
      child: ChildHandle;
      tty: boolean;
      tree: ProcessTree;
      screen?: TerminalScreen;
    },
    private readonly limits: ProcessLimits,
    sink: LiveSink,
  ) {
    ({ processId: this.processId, argv: this.argv, child: this.child, tty: this.tty, tree: this.tree } = parts);
    const screen = (this.screen = parts.screen);
    this.output = new ProcessOutput(this.processId, this.child.outputs, limits, sink, {
      onChunk: screen && ((data, seq) => screen.write(data, seq)),
      onClosedNotified: () => this.child.dispose(),
    });
    void this.child.exited.then((status) => this.output.childExited(status));
  }

  get pid(): number {
    return this.child.pid;
  }

  get disposed(): boolean {
    return this.isDisposed;
  }

  get running(): boolean {
    return this.output.running;
  }

  /** Exited and drained (or the drain grace passed): what clients observe as "exited". */
  get exited(): boolean {
    return this.output.exited;
  }

  onDisposed(listener: () => void): void {
    if (this.isDisposed) listener();
    else this.disposeListeners.push(listener);
  }

  /** Writes input; a repeated `writeId` returns the first write's outcome without writing again. */
  write(data: Uint8Array, writeId?: string): Promise<void> {
    if (writeId !== undefined) {
      const earlier = this.writesById.get(writeId);
      if (earlier) return earlier;
    }
    this.requireInputOpen();
    const written = this.child.write(data);
    if (writeId !== undefined) {
      this.writesById.set(writeId, written);
      if (this.writesById.size > REMEMBERED_WRITE_IDS) {
        this.writesById.delete(this.writesById.keys().next().value!);
      }
    }
    return written;
  }

  async closeStdin(): Promise<void> {
    this.requireInputOpen();
    this.stdinClosed = true;
    await this.child.closeStdin();
  }

  signal(signal: SignalName): void {
    if (!this.running) throw RpcError.invalidRequest(`process ${this.processId} has exited`);
    this.child.signalGroup(signal);
  }

  /** Kills the whole tree at once. Returns whether the process was running. */
  kill(): boolean {
    const wasRunning = this.running;
    if (wasRunning) this.tree.kill();
    return wasRunning;
  }

  /**
   * SIGTERM (a terminal's hangup, SIGHUP, for PTYs) to the group, then SIGKILL to
   * the whole tree after the grace, or as soon as the leader has exited.
   */
  terminate(graceMs: number): boolean {
    if (!this.running) return false;
    this.child.signalGroup(this.tty ? "SIGHUP" : "SIGTERM");
    this.graceKillTimer ??= setTimeout(() => this.tree.kill(), graceMs);
    void this.child.exited.then(() => {
      clearTimeout(this.graceKillTimer);
      this.tree.kill();
    });
    return true;
  }

  resize(cols: number, rows: number): void {
    if (!this.tty) throw RpcError.invalidRequest(`process ${this.processId} is not a terminal: only tty processes can be resized`);
    if (!this.running) throw RpcError.invalidRequest(`process ${this.processId} has exited`);
    this.child.resize(cols, rows);
    this.screen?.resize(cols, rows);
  }

  read(afterSeq: number, maxBytes: number, waitMs: number): Promise<ReadResult> {
    return readOutput(this, afterSeq, maxBytes, waitMs);
  }

  wait(params: Pick<WaitParams, "timeoutMs" | "afterSeq" | "until">): Promise<WaitResult> {
    return waitForOutput(this, params);
  }

  snapshot(params: Pick<SnapshotParams, "scrollback" | "serialize">): Promise<SnapshotResult> {
    return snapshotOutput(this, params, this.limits.snapshotStreamBytes);
  }

  info(): ProcessInfo {
    return describeProcess(this);
  }

  private requireInputOpen(): void {
    if (!this.running) throw RpcError.invalidRequest(`process ${this.processId} has exited`);
    if (this.stdinClosed || !this.child.acceptsInput) {
      throw RpcError.invalidRequest(
        `process ${this.processId} does not accept writes: its stdin is closed` +
          (this.stdinClosed ? "" : " (start it with tty or pipeStdin)"),
      );
    }
  }

  /** Kills the whole tree (escaped descendants too, even after the leader exited) and releases everything. Idempotent. */
  dispose(): void {
    if (this.isDisposed) return;
    this.isDisposed = true;
    this.tree.kill();
    this.screen?.dispose();
    this.output.dispose(this.child.exited);
    clearTimeout(this.graceKillTimer);
    for (const listener of this.disposeListeners.splice(0)) listener();
    // Release fds once the child is gone; output after that is no longer wanted.
    void this.child.exited.then(async () => {
      this.child.dispose();
      for (let attempt = 0; attempt < 100 && !this.tree.release(); attempt++) await Bun.sleep(20);
    });
  }
}
