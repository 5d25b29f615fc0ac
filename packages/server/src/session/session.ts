import type { LiveNotification, LiveSink } from "../process/output/live-sink.ts";
import { ProcessTable } from "./process-table.ts";

/**
 * A LiveSink that forwards to whichever connection the session is attached to.
 * Detached, it is not writable: live cursors stop where they are, pipes stop
 * being read (so their output waits in the kernel, not in memory), and the
 * stream resumes from the same cursor when a connection re-attaches.
 */
class SessionSink implements LiveSink {
  private target: LiveSink | undefined;
  private readonly attachWaiters: Array<() => void> = [];

  get attached(): boolean {
    return this.target !== undefined;
  }

  get writable(): boolean {
    return this.target?.writable ?? false;
  }

  whenWritable(): Promise<void> {
    if (this.target) return this.target.whenWritable();
    return new Promise((resolve) => this.attachWaiters.push(resolve));
  }

  send(notification: LiveNotification): void {
    this.target?.send(notification);
  }

  setTarget(target: LiveSink | undefined): void {
    this.target = target;
    // Woken either way: on attach they continue, on end their processes are disposed.
    for (const waiter of this.attachWaiters.splice(0)) waiter();
  }
}

/** The processes a client owns, which may outlive the connection that started them. */
export class Session {
  readonly processes: ProcessTable;
  readonly sink = new SessionSink();
  private expiry: Timer | undefined;
  private ended: Promise<void> | undefined;

  constructor(
    readonly id: string,
    /** Kept for the TTL when its connection drops (websocket clients that asked for it). */
    readonly resumable: boolean,
    exitedRetentionMs: number,
    private readonly onEnd: (session: Session) => void,
  ) {
    this.processes = new ProcessTable(exitedRetentionMs);
  }

  get attached(): boolean {
    return this.sink.attached;
  }

  attach(connection: LiveSink): void {
    clearTimeout(this.expiry);
    this.expiry = undefined;
    this.sink.setTarget(connection);
  }

  /** The connection dropped: keep everything for `ttlMs`, then end. */
  detach(ttlMs: number): void {
    this.sink.setTarget(undefined);
    this.expiry = setTimeout(() => this.end(), ttlMs);
  }

  /** Kills every process (whole trees) and forgets the session; resolves once they have exited. Idempotent. */
  end(): Promise<void> {
    if (this.ended) return this.ended;
    clearTimeout(this.expiry);
    this.ended = this.processes.clear();
    this.sink.setTarget(undefined);
    this.onEnd(this);
    return this.ended;
  }
}
