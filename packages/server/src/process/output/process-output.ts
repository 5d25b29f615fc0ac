import type { ExitStatus, OutputSource } from "../backends/backend.ts";
import type { LiveSink } from "./live-sink.ts";
import { OutputRing } from "./output-ring.ts";
import { OutputSubscription, type SubscribedProcess } from "./output-subscription.ts";

export interface OutputLimits {
  /** Bytes of output retained for process/read. */
  readonly retainedOutputBytes: number;
  /** How long to wait for output to drain after exit when a descendant holds a stream open. */
  readonly exitDrainGraceMs: number;
  /** Undelivered bytes at which backpressured sources stop being read. */
  readonly sendHighWaterBytes: number;
  /** Undelivered bytes a push source may hold above the retention cap before chunks are dropped. */
  readonly undeliveredAllowanceBytes: number;
}

export interface OutputHooks {
  /** Each chunk as it enters the ring (a PTY's screen is fed from here). */
  readonly onChunk?: (data: Uint8Array, seq: number) => void;
  /** The owner has been sent `process/closed`: the streams may be released. */
  readonly onClosedNotified?: () => void;
}

type SourceState = "reading" | "paused" | "eof";

/**
 * The output of one process: every chunk goes into the ring first, and each
 * peer's live stream is a cursor over the ring. That gives one order for
 * `process/read` and `process/output`, lets backpressure reach the child (stop
 * pulling while the owner's cursor lags), and makes any loss explicit
 * (`process/outputSkipped`). It also decides when exit is reported: once the
 * streams are drained, or after the drain grace.
 */
export class ProcessOutput implements SubscribedProcess {
  readonly ring: OutputRing;
  private childExit: ExitStatus | undefined;
  private exitedAtMs: number | undefined;
  private exitReported = false;
  private exitNotified = false;
  private stopped = false;
  /** The owning session's live view: it alone holds back reading and retention. */
  private readonly owner: OutputSubscription;
  /** Peers attached from other connections: they never slow the process down. */
  private readonly observers = new Set<OutputSubscription>();
  private graceTimer: Timer | undefined;
  private readonly sourceStates = new Map<OutputSource, SourceState>();
  private readonly changeWaiters = new Set<() => void>();
  private readonly backlogWaiters = new Set<() => void>();
  private readonly exitNotifiedListeners: Array<() => void> = [];

  constructor(
    readonly processId: string,
    sources: readonly OutputSource[],
    private readonly limits: OutputLimits,
    sink: LiveSink,
    private readonly hooks: OutputHooks = {},
  ) {
    this.ring = new OutputRing(limits.retainedOutputBytes);
    this.owner = new OutputSubscription(this, sink, 0, {}, {
      afterSend: () => this.releaseBacklog(),
      onExitNotified: () => {
        this.exitNotified = true;
        for (const listener of this.exitNotifiedListeners.splice(0)) listener();
      },
      onClosedNotified: () => hooks.onClosedNotified?.(),
    });
    for (const source of sources) {
      this.sourceStates.set(source, "reading");
      void this.pullSource(source);
    }
  }

  /** The child has not exited (its output may still be draining either way). */
  get running(): boolean {
    return this.childExit === undefined;
  }

  /** Exited and drained (or the drain grace passed): what clients observe as "exited". */
  get exited(): boolean {
    return this.exitReported;
  }

  get closed(): boolean {
    return [...this.sourceStates.values()].every((state) => state === "eof");
  }

  get exit(): ExitStatus | undefined {
    return this.exitReported ? this.childExit : undefined;
  }

  get exitedAt(): number | undefined {
    return this.exitReported ? this.exitedAtMs : undefined;
  }

  /** Runs once `process/exited` has been sent to the owner. */
  onExitNotified(listener: () => void): void {
    if (this.exitNotified) listener();
    else this.exitNotifiedListeners.push(listener);
  }

  /** The child has exited: report it once the output has drained. */
  childExited(status: ExitStatus): void {
    this.childExit = status;
    this.exitedAtMs = Date.now();
    if (this.closed) this.reportExit();
    else this.armDrainGrace();
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

  /** The owner resumed after a drop having seen output up to `seq`: replay from there. */
  rewind(seq: number): void {
    this.owner.rewind(seq);
    // The cursor may have been idle (everything sent, exit and close included): start it again.
    // Until the session is attached its sink is not writable, and the pump waits for that.
    this.pump();
  }

  /** Streams this output to another peer too: replay from `afterSeq`, then live. Returns the way to stop. */
  observe(sink: LiveSink, afterSeq: number, sessionId: string): () => void {
    const observer = new OutputSubscription(this, sink, Math.min(afterSeq, this.ring.lastSeq), { sessionId });
    this.observers.add(observer);
    observer.pump();
    return () => {
      observer.stop();
      this.observers.delete(observer);
    };
  }

  /**
   * Stops reading and sending (output after disposal is not wanted; cancelling
   * also ends reads a surviving holder would keep pending). Attached peers hear
   * how it ended once `exited` resolves. Idempotent.
   */
  dispose(exited: Promise<ExitStatus>): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const [source, state] of this.sourceStates) if (state !== "eof") source.cancel();
    clearTimeout(this.graceTimer);
    for (const waiter of [...this.changeWaiters]) waiter();
    for (const waiter of [...this.backlogWaiters]) waiter();
    const observers = [...this.observers];
    this.observers.clear();
    void exited.then((status) => {
      for (const observer of observers) observer.finish(status);
    });
  }

  private async pullSource(source: OutputSource): Promise<void> {
    try {
      while (!this.stopped) {
        if (source.backpressure && this.owner.undeliveredBytes >= this.limits.sendHighWaterBytes) {
          this.setSourceState(source, "paused");
          await new Promise<void>((resolve) => this.backlogWaiters.add(resolve));
          if (this.stopped) break;
        }
        this.setSourceState(source, "reading");
        const data = await source.read();
        if (data === null) break;
        if (data.byteLength === 0) continue;
        const chunk = this.ring.append(source.stream, data);
        this.hooks.onChunk?.(data, chunk.seq);
        this.ring.trim(this.owner.sentSeq + 1, this.limits.undeliveredAllowanceBytes);
        this.notifyChange();
        this.pump();
      }
    } catch {
      // A read error ends the stream like EOF: the exit status still comes from the OS.
    }
    // Ended early (disposed while paused or reading): release the stream, or its fd stays open.
    if (this.stopped) source.cancel();
    this.setSourceState(source, "eof");
    if (this.closed && this.childExit !== undefined) this.reportExit();
    this.pump();
  }

  private setSourceState(source: OutputSource, state: SourceState): void {
    this.sourceStates.set(source, state);
    this.armDrainGrace();
  }

  /**
   * After exit, output still in flight must be delivered before `exited`. The
   * grace runs only while every open source is waiting for data (so a paused,
   * backpressured pipe that still holds pre-exit bytes never counts), and then
   * `exited` is reported even if a descendant keeps a stream open.
   */
  private armDrainGrace(): void {
    if (this.childExit === undefined || this.exitReported) return;
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
    if (this.stopped) return;
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
