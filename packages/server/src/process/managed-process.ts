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
import type { ChildHandle, ExitStatus, OutputSource } from "./backend.ts";
import type { LiveSink } from "./live-sink.ts";
import { describeProcess, readOutput, snapshotOutput, waitForOutput } from "./process-queries.ts";
import { InputBudget } from "./input-budget.ts";
import { OutputRing } from "./output-ring.ts";
import { OutputSubscription } from "./output-subscription.ts";
import type { ProcessTree } from "./process-tree.ts";
import type { TerminalScreen } from "./terminal-screen.ts";

/** How many recent writeIds a process remembers for idempotent retries. */
const REMEMBERED_WRITE_IDS = 1024;

export interface ProcessLimits {
  /** Bytes of output retained for process/read. */
  readonly retainedOutputBytes: number;
  /** How long to wait for output to drain after exit when a descendant holds a stream open. */
  readonly exitDrainGraceMs: number;
  /** Undelivered bytes at which backpressured sources stop being read. */
  readonly sendHighWaterBytes: number;
  /** Undelivered bytes a push source may hold above the retention cap before chunks are dropped. */
  readonly undeliveredAllowanceBytes: number;
  /** Bytes per stream in a snapshot (head and tail halves). */
  readonly snapshotStreamBytes: number;
}

type SourceState = "reading" | "paused" | "eof";

/**
 * One child process and its output: every chunk goes into the ring first, and the
 * live stream is a cursor over the ring. That gives one order for `process/read`
 * and `process/output`, lets backpressure reach the child (stop pulling while the
 * cursor lags), and makes any loss explicit (`process/outputSkipped`).
 */
export class ManagedProcess {
  readonly ring: OutputRing;
  readonly startedAt = Date.now();
  private exitStatus: ExitStatus | undefined;
  private exitedAtMs: number | undefined;
  private exitReported = false;
  private exitNotified = false;
  private isDisposed = false;
  /** The owning session's live view: it alone holds back reading and retention. */
  private readonly owner: OutputSubscription;
  /** Peers attached from other connections: they never slow the process down. */
  private readonly observers = new Set<OutputSubscription>();
  private graceTimer: Timer | undefined;
  private readonly sourceStates = new Map<OutputSource, SourceState>();
  private readonly changeWaiters = new Set<() => void>();
  private readonly backlogWaiters = new Set<() => void>();
  private readonly exitNotifiedListeners: Array<() => void> = [];
  private readonly disposeListeners: Array<() => void> = [];
  private readonly writesById = new Map<string, Promise<void>>();
  private readonly input: InputBudget;
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
    this.screen = parts.screen;
    const { child } = parts;
    this.ring = new OutputRing(limits.retainedOutputBytes);
    this.input = new InputBudget(this.processId);
    this.owner = new OutputSubscription(this, sink, 0, {}, {
      afterSend: () => this.releaseBacklog(),
      onExitNotified: () => {
        this.exitNotified = true;
        for (const listener of this.exitNotifiedListeners.splice(0)) listener();
      },
      onClosedNotified: () => this.child.dispose(),
    });
    for (const source of child.outputs) {
      this.sourceStates.set(source, "reading");
      void this.pullSource(source);
    }
    void child.exited.then((status) => this.onExit(status));
  }

  get disposed(): boolean {
    return this.isDisposed;
  }

  get running(): boolean {
    return this.exitStatus === undefined;
  }

  /** Exited and drained (or the drain grace passed): what clients observe as "exited". */
  get exited(): boolean {
    return this.exitReported;
  }

  get closed(): boolean {
    return [...this.sourceStates.values()].every((state) => state === "eof");
  }

  get exit(): ExitStatus | undefined {
    return this.exitReported ? this.exitStatus : undefined;
  }

  get exitedAt(): number | undefined {
    return this.exitReported ? this.exitedAtMs : undefined;
  }

  /** Runs once `process/exited` has been sent. */
  onExitNotified(listener: () => void): void {
    if (this.exitNotified) listener();
    else this.exitNotifiedListeners.push(listener);
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
    const written = this.input.track(data.byteLength, () => this.child.write(data));
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

  /** Resolves on the next output or exit, or after `timeoutMs`. */
  nextChange(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.changeWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.changeWaiters.add(done);
    });
  }

  /** Kills the whole tree (escaped descendants too, even after the leader exited) and releases everything. Idempotent. */
  dispose(): void {
    if (this.isDisposed) return;
    this.isDisposed = true;
    this.tree.kill();
    this.screen?.dispose();
    // Output after disposal is not wanted; cancelling also ends reads a surviving holder would keep pending.
    for (const [source, state] of this.sourceStates) if (state !== "eof") source.cancel();
    clearTimeout(this.graceTimer);
    clearTimeout(this.graceKillTimer);
    for (const waiter of [...this.changeWaiters]) waiter();
    for (const waiter of [...this.backlogWaiters]) waiter();
    // Attached peers hear how it ended once the killed child is reaped.
    const observers = [...this.observers];
    this.observers.clear();
    void this.child.exited.then((status) => {
      for (const observer of observers) observer.finish(status);
    });
    for (const listener of this.disposeListeners.splice(0)) listener();
    // Release fds once the child is gone; output after that is no longer wanted.
    void this.child.exited.then(async () => {
      this.child.dispose();
      for (let attempt = 0; attempt < 100 && !this.tree.release(); attempt++) await Bun.sleep(20);
    });
  }

  /** The owner resumed after a drop having seen output up to `seq`: replay from there. */
  rewindLiveOutput(seq: number): void {
    this.owner.rewind(seq);
    // The cursor may have been idle (everything sent, exit and close included): start it again.
    // Until the session is attached its sink is not writable, and the pump waits for that.
    this.pump();
  }

  /** Streams this process to another peer too: replay from `afterSeq`, then live. Returns the way to stop. */
  observe(sink: LiveSink, afterSeq: number, sessionId: string): () => void {
    const observer = new OutputSubscription(this, sink, Math.min(afterSeq, this.ring.lastSeq), { sessionId });
    this.observers.add(observer);
    observer.pump();
    return () => {
      observer.stop();
      this.observers.delete(observer);
    };
  }

  private async pullSource(source: OutputSource): Promise<void> {
    try {
      while (!this.isDisposed) {
        if (source.backpressure && this.owner.undeliveredBytes >= this.limits.sendHighWaterBytes) {
          this.setSourceState(source, "paused");
          await new Promise<void>((resolve) => this.backlogWaiters.add(resolve));
          if (this.isDisposed) break;
        }
        this.setSourceState(source, "reading");
        const data = await source.read();
        if (data === null) break;
        if (data.byteLength === 0) continue;
        const chunk = this.ring.append(source.stream, data);
        this.screen?.write(data, chunk.seq);
        this.ring.trim(this.owner.sentSeq + 1, this.limits.undeliveredAllowanceBytes);
        this.notifyChange();
        this.pump();
      }
    } catch {
      // A read error ends the stream like EOF: the exit status still comes from the OS.
    }
    // Ended early (disposed while paused or reading): release the stream, or its fd stays open.
    if (this.isDisposed) source.cancel();
    this.setSourceState(source, "eof");
    if (this.closed && this.exitStatus !== undefined) this.reportExit();
    this.pump();
  }

  private setSourceState(source: OutputSource, state: SourceState): void {
    this.sourceStates.set(source, state);
    this.armDrainGrace();
  }

  private onExit(status: ExitStatus): void {
    this.exitStatus = status;
    this.exitedAtMs = Date.now();
    if (this.closed) this.reportExit();
    else this.armDrainGrace();
  }

  /**
   * After exit, output still in flight must be delivered before `exited`. The
   * grace runs only while every open source is waiting for data (so a paused,
   * backpressured pipe that still holds pre-exit bytes never counts), and then
   * `exited` is reported even if a descendant keeps a stream open.
   */
  private armDrainGrace(): void {
    if (this.exitStatus === undefined || this.exitReported) return;
    const paused = [...this.sourceStates.values()].includes("paused");
    if (paused) {
      clearTimeout(this.graceTimer);
      this.graceTimer = undefined;
    } else if (this.graceTimer === undefined) {
      this.graceTimer = setTimeout(() => this.reportExit(), this.limits.exitDrainGraceMs);
    }
  }

  private reportExit(): void {
    if (this.exitReported) return;
    this.exitReported = true;
    clearTimeout(this.graceTimer);
    this.notifyChange();
    this.pump();
  }

  private notifyChange(): void {
    // Runs per output chunk: copy (waiters remove themselves) only when someone waits.
    if (this.changeWaiters.size === 0) return;
    for (const waiter of [...this.changeWaiters]) waiter();
  }

  /** Sends what each peer has not been sent yet; wakes paused sources once the owner caught up. */
  private pump(): void {
    if (this.isDisposed) return;
    this.owner.pump();
    for (const observer of this.observers) observer.pump();
  }

  private releaseBacklog(): void {
    if (this.backlogWaiters.size > 0 && this.owner.undeliveredBytes < this.limits.sendHighWaterBytes / 4) {
      for (const waiter of [...this.backlogWaiters]) waiter();
      this.backlogWaiters.clear();
    }
  }
}
