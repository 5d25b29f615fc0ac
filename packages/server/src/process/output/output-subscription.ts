import type { ExitStatus } from "../backends/backend.ts";
import type { LiveSink } from "./live-sink.ts";
import type { OutputRing } from "./output-ring.ts";

/** What a subscription reads from its process. */
export interface SubscribedProcess {
  readonly processId: string;
  readonly ring: OutputRing;
  /** Exit status once exit is reported (drained or past the grace). */
  readonly exit: ExitStatus | undefined;
  /** Every output stream has reached end of file. */
  readonly closed: boolean;
}

/**
 * One peer's live view of a process: a cursor over the ring that sends each
 * chunk once, in order, while the peer keeps up, then `exited` and `closed`.
 * Chunks the ring dropped before they could be sent become one explicit
 * `process/outputSkipped`. `tag` is added to every notification (an attached
 * peer gets the owning `sessionId`).
 */
export class OutputSubscription {
  sentSeq: number;
  /** Bytes sent or skipped: with the ring's total, how far behind this peer is. */
  deliveredBytes: number;
  private exitNotified = false;
  private closedNotified = false;
  private exitEventFired = false;
  private closedEventFired = false;
  private waitingForSink = false;
  private stopped = false;

  constructor(
    private readonly process: SubscribedProcess,
    private readonly sink: LiveSink,
    afterSeq: number,
    private readonly tag: { readonly sessionId?: string } = {},
    private readonly events: { afterSend?: () => void; onExitNotified?: () => void; onClosedNotified?: () => void } = {},
  ) {
    this.sentSeq = afterSeq;
    this.deliveredBytes = afterSeq === 0 ? 0 : bytesUpTo(process.ring, afterSeq);
  }

  get undeliveredBytes(): number {
    return this.process.ring.totalBytes - this.deliveredBytes;
  }

  /**
   * Moves the cursor back to `seq` (a resuming peer's last seen chunk): what it
   * missed is sent again, or reported skipped if no longer retained, and so are
   * `exited` and `closed`.
   */
  rewind(seq: number): void {
    if (seq >= this.sentSeq) return;
    this.sentSeq = seq;
    this.deliveredBytes = bytesUpTo(this.process.ring, seq);
    this.exitNotified = false;
    this.closedNotified = false;
  }

  /**
   * The process was disposed (its session ended): no more output will be pumped,
   * so tell this peer it is over rather than leave it waiting.
   */
  finish(exit: ExitStatus): void {
    if (this.stopped) return;
    const { processId } = this.process;
    const { sink, tag } = this;
    if (!this.exitNotified) {
      this.exitNotified = true;
      sink.send({ method: "process/exited", params: { processId, exitCode: exit.exitCode, signal: exit.signal, seq: this.sentSeq, ...tag } });
    }
    if (!this.closedNotified) {
      this.closedNotified = true;
      sink.send({ method: "process/closed", params: { processId, seq: this.sentSeq, ...tag } });
    }
    this.stop();
  }

  stop(): void {
    this.stopped = true;
  }

  /** Sends what this peer has not been sent yet, while it keeps up. */
  pump(): void {
    if (this.stopped) return;
    const { ring, processId } = this.process;
    const { sink, tag } = this;
    while (this.sentSeq < ring.lastSeq) {
      if (!sink.writable) {
        this.waitForSink();
        break;
      }
      const next = this.sentSeq + 1;
      if (next < ring.firstSeq) {
        sink.send({ method: "process/outputSkipped", params: { processId, fromSeq: next, toSeq: ring.firstSeq - 1, ...tag } });
        this.sentSeq = ring.firstSeq - 1;
        this.deliveredBytes = ring.droppedBytes;
        continue;
      }
      const chunk = ring.at(next)!;
      sink.send({
        method: "process/output",
        params: { processId, stream: chunk.stream, data: chunk.data, seq: chunk.seq, ...tag },
      });
      this.sentSeq = next;
      this.deliveredBytes += chunk.data.byteLength;
    }
    this.events.afterSend?.();
    if (this.sentSeq < ring.lastSeq) return;
    const exit = this.process.exit;
    if (exit && !this.exitNotified) {
      this.exitNotified = true;
      sink.send({
        method: "process/exited",
        params: { processId, exitCode: exit.exitCode, signal: exit.signal, seq: this.sentSeq, ...tag },
      });
      if (!this.exitEventFired) this.events.onExitNotified?.();
      this.exitEventFired = true;
    }
    if (this.exitNotified && !this.closedNotified && this.process.closed) {
      this.closedNotified = true;
      sink.send({ method: "process/closed", params: { processId, seq: this.sentSeq, ...tag } });
      if (!this.closedEventFired) this.events.onClosedNotified?.();
      this.closedEventFired = true;
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

/** Bytes of every chunk up to `seq`: dropped ones plus retained ones. */
function bytesUpTo(ring: OutputRing, seq: number): number {
  let bytes = ring.droppedBytes;
  for (const chunk of ring.read(ring.firstSeq - 1, Number.POSITIVE_INFINITY)) {
    if (chunk.seq > seq) break;
    bytes += chunk.data.byteLength;
  }
  return bytes;
}
