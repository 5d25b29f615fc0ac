import { encodeBase64, type ReadResult } from "@x/exec-protocol";
import type { ChildHandle, ExitStatus, OutputSource } from "./backend.ts";
import type { LiveSink } from "./live-sink.ts";
import { OutputRing } from "./output-ring.ts";

export interface ProcessLimits {
  /** Bytes of output retained for process/read. */
  readonly retainedOutputBytes: number;
  /** How long to wait for output to drain after exit when a descendant holds a stream open. */
  readonly exitDrainGraceMs: number;
  /** Undelivered bytes at which backpressured sources stop being read. */
  readonly sendHighWaterBytes: number;
  /** Undelivered bytes a push source may hold above the retention cap before chunks are dropped. */
  readonly undeliveredAllowanceBytes: number;
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
  private closedNotified = false;
  private disposed = false;
  private sentSeq = 0;
  private deliveredBytes = 0;
  private waitingForSink = false;
  private graceTimer: Timer | undefined;
  private readonly sourceStates = new Map<OutputSource, SourceState>();
  private readonly changeWaiters = new Set<() => void>();
  private readonly backlogWaiters = new Set<() => void>();
  private readonly exitNotifiedListeners: Array<() => void> = [];

  constructor(
    readonly processId: string,
    readonly child: ChildHandle,
    readonly tty: boolean,
    private readonly limits: ProcessLimits,
    private readonly sink: LiveSink,
  ) {
    this.ring = new OutputRing(limits.retainedOutputBytes);
    for (const source of child.outputs) {
      this.sourceStates.set(source, "reading");
      void this.pullSource(source);
    }
    void child.exited.then((status) => this.onExit(status));
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

  async write(data: Uint8Array): Promise<void> {
    await this.child.write(data);
  }

  /** Kills the whole process group at once. Returns whether it was running. */
  kill(): boolean {
    if (!this.running) return false;
    this.child.signalGroup("SIGKILL");
    return true;
  }

  async read(afterSeq: number, maxBytes: number, waitMs: number): Promise<ReadResult> {
    if (waitMs > 0 && this.ring.lastSeq <= afterSeq && !this.exitReported) {
      await this.nextChange(waitMs);
    }
    const chunks = this.ring.read(afterSeq, maxBytes);
    const last = chunks.at(-1);
    return {
      chunks: chunks.map(({ seq, stream, data }) => ({ seq, stream, chunk: encodeBase64(data) })),
      nextSeq: last ? last.seq + 1 : this.ring.nextSeq,
      exited: this.exitReported,
      exitCode: this.exit?.exitCode ?? null,
      signal: this.exit?.signal ?? null,
      closed: this.closed,
      firstSeq: this.ring.firstSeq,
      droppedBytes: this.ring.droppedBytes,
    };
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

  /** Kills the group if still running and releases everything. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.kill();
    clearTimeout(this.graceTimer);
    for (const waiter of [...this.changeWaiters]) waiter();
    for (const waiter of [...this.backlogWaiters]) waiter();
    // Release fds once the child is gone; output after that is no longer wanted.
    void this.child.exited.then(() => this.child.dispose());
  }

  private undeliveredBytes(): number {
    return this.ring.totalBytes - this.deliveredBytes;
  }

  private async pullSource(source: OutputSource): Promise<void> {
    try {
      while (!this.disposed) {
        if (source.backpressure && this.undeliveredBytes() >= this.limits.sendHighWaterBytes) {
          this.setSourceState(source, "paused");
          await new Promise<void>((resolve) => this.backlogWaiters.add(resolve));
          if (this.disposed) break;
        }
        this.setSourceState(source, "reading");
        const data = await source.read();
        if (data === null) break;
        if (data.byteLength === 0) continue;
        this.ring.append(source.stream, data);
        this.ring.trim(this.sentSeq + 1, this.limits.undeliveredAllowanceBytes);
        this.notifyChange();
        this.pump();
      }
    } catch {
      // A read error ends the stream like EOF: the exit status still comes from the OS.
    }
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
    for (const waiter of [...this.changeWaiters]) waiter();
  }

  /** Sends what the live cursor has not sent yet, while the sink keeps up. */
  private pump(): void {
    if (this.disposed) return;
    const { ring, sink } = this;
    while (this.sentSeq < ring.lastSeq) {
      if (!sink.writable) {
        this.waitForSink();
        return;
      }
      const next = this.sentSeq + 1;
      if (next < ring.firstSeq) {
        sink.send({
          method: "process/outputSkipped",
          params: { processId: this.processId, fromSeq: next, toSeq: ring.firstSeq - 1 },
        });
        this.sentSeq = ring.firstSeq - 1;
        this.deliveredBytes = ring.droppedBytes;
        continue;
      }
      const chunk = ring.at(next)!;
      sink.send({
        method: "process/output",
        params: { processId: this.processId, stream: chunk.stream, chunk: encodeBase64(chunk.data), seq: chunk.seq },
      });
      this.sentSeq = next;
      this.deliveredBytes += chunk.data.byteLength;
    }
    if (this.backlogWaiters.size > 0 && this.undeliveredBytes() < this.limits.sendHighWaterBytes / 4) {
      for (const waiter of [...this.backlogWaiters]) waiter();
      this.backlogWaiters.clear();
    }
    if (this.exitReported && !this.exitNotified) {
      this.exitNotified = true;
      const status = this.exitStatus!;
      sink.send({
        method: "process/exited",
        params: { processId: this.processId, exitCode: status.exitCode, signal: status.signal, seq: this.sentSeq },
      });
      for (const listener of this.exitNotifiedListeners.splice(0)) listener();
    }
    if (this.exitNotified && !this.closedNotified && this.closed) {
      this.closedNotified = true;
      sink.send({ method: "process/closed", params: { processId: this.processId, seq: this.sentSeq } });
      this.child.dispose();
    }
  }

  private waitForSink(): void {
    if (this.waitingForSink) return;
    this.waitingForSink = true;
    void this.sink.whenWritable().then(() => {
      this.waitingForSink = false;
      this.pump();
    });
  }
}
