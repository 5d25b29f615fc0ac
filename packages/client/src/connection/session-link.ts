import { ErrorCode, type ParamsOf, type ResultOf, type Transport } from "@x/exec-protocol";
import { closedError, ConnectionClosedError, createError } from "../errors.ts";
import { backoffBefore, isRetryable, type ResumePolicy } from "./resume-policy.ts";
import { RpcConnection } from "./rpc-connection.ts";

/** "connecting" → "open" (⇄ "reconnecting" with resume) → "closed". */
export type ConnectionState = "connecting" | "open" | "reconnecting" | "closed";

/** Payload of the client's "reconnect" event. */
export interface ReconnectInfo {
  readonly sessionId: string;
  /** Attempts it took, counting the one that succeeded. */
  readonly attempts: number;
  /** From noticing the drop to the session being back. */
  readonly downtimeMs: number;
}

export interface SessionLinkOptions {
  readonly clientName: string;
  readonly initializeTimeoutMs: number;
  /** Ask for binary output frames (websocket transports only: they decode them). */
  readonly binaryOutput?: boolean;
  /** Set to make the session resumable; `reopen` opens a fresh transport to the same server. */
  readonly resume?: { readonly policy: ResumePolicy; readonly reopen: () => Promise<Transport> };
  /** The first handshake takes over this detached session instead of creating one. */
  readonly resumeSessionId?: string;
}

export interface SessionLinkEvents {
  notification(method: string, params: unknown): void;
  /** The last seq seen per live process of the session (`resumeFrom`). */
  resumeFrom(): Record<string, number>;
  /** Runs on a resumed connection before it takes calls (re-attaching). Throw to fail the attempt. */
  restore(request: (method: "process/attach", params: ParamsOf<"process/attach">) => Promise<unknown>): Promise<void>;
  reconnecting(error: ConnectionClosedError): void;
  reconnected(info: ReconnectInfo): void;
  /** The link ended for good; fired once. */
  closed(error: ConnectionClosedError): void;
}

/** Reads that give the same answer when asked again: retried on the resumed connection. */
const RETRIED_METHODS: ReadonlySet<string> = new Set(["process/read", "process/snapshot", "process/list"]);

/** Also safe to send again: a write with a `writeId` (the server remembers ids and writes once). */
function isRetried(method: string, params: unknown): boolean {
  if (RETRIED_METHODS.has(method)) return true;
  return method === "process/write" && (params as { writeId?: unknown }).writeId !== undefined;
}

/**
 * The client's link to its server session, across reconnects. Without resume
 * it is one RpcConnection. With resume, an unexpected drop opens a new
 * transport and re-initializes with `resumeSessionId`/`resumeFrom`; calls made
 * meanwhile wait for the outcome, idempotent reads and writes with a `writeId`
 * that were pending are sent again, and every other pending call fails with the
 * ConnectionClosedError of the drop.
 */
export class SessionLink {
  private connection: RpcConnection;
  private stateValue: ConnectionState = "connecting";
  private failure: ConnectionClosedError | undefined;
  private reconnection: Promise<void> | undefined;
  private closeRequested = false;
  private paused = false;
  private wakeSleeper: (() => void) | undefined;
  private resumable = false;
  sessionId: string | undefined;
  protocolVersion = "";
  /** The server sends process/output as binary frames (asked for, and accepted). */
  binaryOutput = false;

  constructor(
    transport: Transport,
    private readonly options: SessionLinkOptions,
    private readonly events: SessionLinkEvents,
  ) {
    this.connection = this.connect(transport);
  }

  get state(): ConnectionState {
    return this.stateValue;
  }

  /** The session survives a dropped socket (resume was asked for and the server gave a session id). */
  get isResumable(): boolean {
    return this.resumable;
  }

  /** The first handshake. Rejects (and leaves the link for `close()`) if it fails. */
  async open(): Promise<void> {
    const resume = this.options.resume !== undefined;
    const { resumeSessionId } = this.options;
    const result = await this.handshake(this.connection, {
      clientName: this.options.clientName,
      ...(resumeSessionId === undefined ? resume && { resumable: true } : { resumeSessionId }),
      ...(this.options.binaryOutput && { binaryOutput: true }),
    });
    this.protocolVersion = result.protocolVersion;
    this.sessionId = result.sessionId;
    this.binaryOutput = result.binaryOutput === true;
    this.resumable = resume && result.sessionId !== undefined;
    if (this.stateValue === "connecting") this.stateValue = "open";
  }

  async request(method: string, params: unknown, timeoutMs?: number): Promise<unknown> {
    for (;;) {
      if (this.reconnection) await this.reconnection;
      if (this.failure) throw this.failure;
      const connection = this.connection;
      try {
        return await connection.request(method, params, timeoutMs);
      } catch (error) {
        const dropped = error instanceof ConnectionClosedError && connection.closedWith === error;
        const resuming = this.reconnection !== undefined || this.connection !== connection;
        if (dropped && resuming && isRetried(method, params)) continue;
        throw error;
      }
    }
  }

  /** Flow control (see Transport.pause); remembered across reconnects. */
  pauseReading(): void {
    this.paused = true;
    this.connection.pause();
  }

  resumeReading(): void {
    this.paused = false;
    this.connection.resume();
  }

  /** Ends the link (and any reconnecting): pending calls reject with ConnectionClosedError. */
  async close(): Promise<void> {
    this.closeRequested = true;
    this.wakeSleeper?.();
    const error = closedError("connection closed: closed by the client");
    // Reconnecting, the current connection is closed already: fail now, before waiting calls retry it.
    if (this.reconnection) this.fail(error);
    await this.connection.close("closed by the client");
    this.fail(error);
  }

  private connect(transport: Transport): RpcConnection {
    const connection: RpcConnection = new RpcConnection(transport, {
      notification: (method, params) => this.events.notification(method, params),
      closed: (error) => this.connectionClosed(connection, error),
    });
    return connection;
  }

  private async handshake(connection: RpcConnection, params: ParamsOf<"initialize">): Promise<ResultOf<"initialize">> {
    const result = (await connection.request("initialize", params, this.options.initializeTimeoutMs)) as ResultOf<"initialize">;
    connection.notify("initialized", {});
    connection.markOpen();
    return result;
  }

  private connectionClosed(connection: RpcConnection, error: ConnectionClosedError): void {
    if (connection !== this.connection || this.failure) return;
    if (this.closeRequested || !this.resumable || this.stateValue !== "open") {
      this.fail(error);
      return;
    }
    this.reconnection = this.reconnect(error).finally(() => (this.reconnection = undefined));
  }

  private async reconnect(cause: ConnectionClosedError): Promise<void> {
    const { policy } = this.options.resume!;
    this.stateValue = "reconnecting";
    this.events.reconnecting(cause);
    const started = Date.now();
    let last: unknown = cause;
    for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
      await this.sleep(backoffBefore(policy, attempt));
      if (this.closeRequested) return; // close() has failed everything already
      try {
        await this.resumeOnce();
      } catch (error) {
        last = error;
        if (this.closeRequested) return;
        if (isRetryable(error)) continue;
        break;
      }
      this.stateValue = "open";
      this.events.reconnected({ sessionId: this.sessionId!, attempts: attempt, downtimeMs: Date.now() - started });
      return;
    }
    const why = last instanceof Error ? last.message : String(last);
    this.fail(closedError(`connection lost and session ${this.sessionId} not resumed: ${why}`, { cause: last }));
  }

  /** One attempt: a new transport, the resuming handshake, re-attachments; then it becomes current. */
  private async resumeOnce(): Promise<void> {
    const transport = await this.options.resume!.reopen();
    const connection = this.connect(transport);
    try {
      if (this.closeRequested) throw closedError("connection closed: closed by the client");
      const result = await this.handshake(connection, {
        clientName: this.options.clientName,
        resumeSessionId: this.sessionId!,
        resumeFrom: this.events.resumeFrom(),
        ...(this.options.binaryOutput && { binaryOutput: true }),
      });
      if (result.sessionId !== this.sessionId) {
        throw createError(ErrorCode.InvalidRequest, `the server answered session ${result.sessionId} instead of resuming`, {
          method: "initialize",
        });
      }
      await this.events.restore((method, params) => connection.request(method, params, this.options.initializeTimeoutMs));
      if (connection.closedWith) throw connection.closedWith;
      if (this.closeRequested) throw closedError("connection closed: closed by the client");
    } catch (error) {
      await connection.close("resume failed");
      throw error;
    }
    this.connection = connection;
    if (this.paused) connection.pause();
  }

  /** Waits `ms`, or less if the link is closed meanwhile. */
  private async sleep(ms: number): Promise<void> {
    if (ms <= 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wakeSleeper = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wakeSleeper = undefined;
  }

  private fail(error: ConnectionClosedError): void {
    if (this.failure) return;
    this.failure = error;
    this.stateValue = "closed";
    this.wakeSleeper?.();
    this.events.closed(error);
  }
}
