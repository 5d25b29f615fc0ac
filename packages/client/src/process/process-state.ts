import type { DecodedOutputChunk, ExitStatus } from "@x/exec-protocol";
import type { ExecServerError } from "../errors.ts";
import { OutputLog } from "./output-log.ts";

/** How a process ended. `signal` names the signal that killed it, else null. */
export type { ExitStatus } from "@x/exec-protocol";

/** A reader's position, as the process state sees it. */
export interface Reader {
  /** The seq of the last chunk it read. */
  readonly seq: number;
  /** Epoch ms of its last call or chunk. */
  lastActive: number;
  /** Inside `next()`, waiting for output. */
  waiting: boolean;
  /** How long it may go without asking before it stops holding output back (default HOLD_IDLE_MS). */
  readonly holdIdleMs?: number;
}

/** Told when a process's unread output passes its buffer size, and when it is back under half. */
export type BacklogListener = (state: ProcessState, backlogged: boolean) => void;

/**
 * A reader that neither asked for output nor got any for this long stops
 * holding output back: it then catches up from the server's retention. This
 * bounds how long an abandoned iterator can pause the connection.
 */
export const HOLD_IDLE_MS = 1000;

/**
 * What the client knows about one process from the server's notifications:
 * its recent output, exit, end of output, and whether the connection failed.
 * Readers wait on `nextChange()`, which every one of those events wakes.
 *
 * Buffer policy: chunks an active reader has not read yet are kept; when they
 * pass the buffer size, the process reports a backlog and the client pauses
 * the connection until the readers are through half of it. Everything else is
 * evicted oldest first past the buffer size.
 */
export class ProcessState {
  readonly log: OutputLog;
  /** Set by process/exited; `seq` is the last output chunk sent before it. */
  exit: (ExitStatus & { readonly seq: number }) | undefined;
  /** Set by process/closed: no output after this seq will come. */
  closedSeq: number | undefined;
  /** Set when the connection ended before the output did. */
  failure: ExecServerError | undefined;
  readonly exited: Promise<ExitStatus>;
  private settleExited!: { resolve: (status: ExitStatus) => void; reject: (error: Error) => void };
  private change: { promise: Promise<void>; resolve: () => void } | undefined;
  private readonly readers = new Set<Reader>();
  /** Holds the output from its first chunk for the caller of `start()` until its first reader arrives. */
  private startHold: Reader | undefined;
  /** The start answer is still on its way, behind output that may already have arrived. */
  private startPending = false;
  private startHoldTimer: ReturnType<typeof setTimeout> | undefined;
  private backlogged = false;
  private recheck: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly processId: string,
    bufferBytes: number,
    private readonly onBacklog: BacklogListener = () => {},
  ) {
    this.log = new OutputLog(bufferBytes);
    this.exited = new Promise((resolve, reject) => (this.settleExited = { resolve, reject }));
    // Handled here so a caller that never awaits `exited` gets no unhandled rejection.
    this.exited.catch(() => {});
  }

  onOutput(chunk: DecodedOutputChunk): void {
    if (this.startHold?.waiting) Object.assign(this.startHold, { waiting: false, lastActive: Date.now() });
    this.log.append(chunk);
    this.rebalance();
    this.wake();
  }

  onSkipped(toSeq: number): void {
    this.log.skipTo(toSeq);
    this.wake();
  }

  onExited(status: ExitStatus, seq: number | undefined): void {
    if (this.exit) return;
    this.exit = { ...status, seq: seq ?? this.log.liveSeq };
    this.settleExited.resolve(status);
    this.wake();
  }

  onClosed(seq: number): void {
    this.closedSeq = seq;
    this.log.skipTo(seq);
    this.endBacklog(); // nothing more will arrive: no reason to hold the connection back
    this.wake();
  }

  onConnectionFailed(error: ExecServerError): void {
    if (this.closedSeq !== undefined || this.failure) return;
    this.failure = error;
    if (!this.exit) this.settleExited.reject(error);
    this.endBacklog();
    this.wake();
  }

  /**
   * The client stopped following this process (an attachment's `detach()`):
   * readers end after what the client holds; `exited` fails unless already known.
   */
  onDetached(error: ExecServerError): void {
    if (this.closedSeq !== undefined || this.failure) return;
    this.closedSeq = this.log.liveSeq;
    if (!this.exit) this.settleExited.reject(error);
    this.endBacklog();
    this.wake();
  }

  /**
   * The process is being started: its output is held from the first chunk, as
   * for a reader at seq 0, so that the caller's `output()` right after `start()`
   * sees every chunk. Output can arrive before the start answer; evicted then
   * (nobody reads yet), the first reader would start behind the log, read from
   * the server and hold nothing, while the unpaused stream runs past the
   * server's retention. The hold ends when the first reader arrives, or like an
   * idle reader's, HOLD_IDLE_MS after the answer (or after the first chunk, if
   * the answer is that late: held output stays bounded by time).
   */
  holdForStart(): void {
    // Waiting until its first chunk arrives: a slow spawn must not use up its time.
    this.startHold = { seq: 0, lastActive: Date.now(), waiting: true };
    this.readers.add(this.startHold);
    this.startPending = true;
  }

  /** The start answer arrived: the hold now runs its HOLD_IDLE_MS, and may pause the connection. */
  started(): void {
    this.startPending = false;
    if (this.startHold) {
      Object.assign(this.startHold, { waiting: false, lastActive: Date.now() });
      // Ends it even when no more output comes (all of it arrived, or the connection is paused).
      this.startHoldTimer = setTimeout(() => {
        this.endStartHold();
        this.rebalance();
      }, HOLD_IDLE_MS);
      (this.startHoldTimer as { unref?: () => void }).unref?.();
    }
    this.rebalance();
  }

  /** A reader is reading: what it has not read yet is kept for it. */
  touch(reader: Reader): void {
    reader.lastActive = Date.now();
    this.readers.add(reader);
    // The caller is reading: its reader holds what it still needs from here on.
    if (reader !== this.startHold) this.endStartHold();
  }

  /** A reader advanced: what only it still held may go. */
  progressed(reader: Reader): void {
    this.touch(reader);
    this.rebalance();
  }

  release(reader: Reader): void {
    if (this.readers.delete(reader)) this.rebalance();
  }

  /** Resolves at the next output, skip, exit, close or failure. */
  nextChange(): Promise<void> {
    if (!this.change) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.change = { promise, resolve };
    }
    return this.change.promise;
  }

  private wake(): void {
    const change = this.change;
    this.change = undefined;
    change?.resolve();
  }

  /** The oldest seq an active reader still needs from the log. */
  private keepFrom(): number {
    const now = Date.now();
    let keep = Number.POSITIVE_INFINITY;
    for (const reader of this.readers) {
      if (!reader.waiting && now - reader.lastActive > (reader.holdIdleMs ?? HOLD_IDLE_MS)) {
        if (reader === this.startHold) this.endStartHold();
        this.readers.delete(reader);
        continue;
      }
      // A reader behind the log reads from the server: it holds nothing here.
      if (reader.seq >= this.log.evictedThrough) keep = Math.min(keep, reader.seq + 1);
    }
    return keep;
  }

  private rebalance(): void {
    const keepFrom = this.keepFrom();
    this.log.evict(keepFrom);
    // Until the start answer is in, pausing would hold back that answer (it is behind this
    // output), so nothing would read and the hold would only expire: keep, and pause after it.
    if (this.finished || this.startPending) return;
    const unread = Number.isFinite(keepFrom) ? this.log.bytesAfter(keepFrom - 1) : 0;
    const capacity = this.log.capacityBytes;
    if (!this.backlogged && unread > capacity) {
      this.backlogged = true;
      this.onBacklog(this, true);
    } else if (this.backlogged && unread <= capacity / 2) {
      this.endBacklog();
    }
    if (this.backlogged && this.recheck === undefined) {
      // Readers that go idle must not keep the connection paused.
      this.recheck = setTimeout(() => {
        this.recheck = undefined;
        this.rebalance();
      }, HOLD_IDLE_MS);
      // Bun and Node timers can be unref'd (a browser's are plain numbers).
      (this.recheck as { unref?: () => void }).unref?.();
    }
  }

  private endStartHold(): void {
    if (!this.startHold) return;
    this.readers.delete(this.startHold);
    this.startHold = undefined;
    clearTimeout(this.startHoldTimer);
    this.startHoldTimer = undefined;
  }

  private get finished(): boolean {
    return this.closedSeq !== undefined || this.failure !== undefined;
  }

  private endBacklog(): void {
    clearTimeout(this.recheck);
    this.recheck = undefined;
    if (!this.backlogged) return;
    this.backlogged = false;
    this.onBacklog(this, false);
  }
}
