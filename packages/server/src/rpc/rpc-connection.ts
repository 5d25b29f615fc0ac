import { encodeOutputFrame, ErrorCode, RpcError, type RequestId } from "@x/exec-protocol";
import type { Logger } from "../log.ts";
import type { LiveNotification, LiveSink } from "../process/live-sink.ts";
import { InFlightLimiter } from "./in-flight-limiter.ts";
import type { OutboundChannel } from "./outbound-channel.ts";
import { serializeNotification } from "./wire-notification.ts";

/** What the connection routes to: the exec handler, or anything shaped like it. */
export interface RequestHandler {
  handleRequest(method: string, params: unknown): Promise<unknown>;
  handleNotification(method: string, params: unknown): void;
  close(): void;
}

export interface RpcConnectionOptions {
  readonly label: string;
  readonly log: Logger;
  /** Outbound bytes above which process output stops being pulled. */
  readonly highWaterBytes: number;
  /** Outbound bytes above which the peer is considered gone and the connection is closed. */
  readonly hardLimitBytes: number;
}

/**
 * One JSON-RPC peer: parses and classifies inbound messages, routes them, and
 * serializes everything outbound. It never sees a socket or a pipe: transports
 * feed it text and give it an OutboundChannel.
 */
export class RpcConnection implements LiveSink {
  private handler: RequestHandler | undefined;
  private closed = false;
  private binaryOutput = false;
  private readonly drainWaiters: Array<() => void> = [];
  private readonly inFlight = new InFlightLimiter();

  constructor(
    private readonly channel: OutboundChannel,
    private readonly options: RpcConnectionOptions,
  ) {}

  /** Separate from the constructor: the handler needs this connection as its sink. */
  attach(handler: RequestHandler): void {
    this.handler = handler;
  }

  get writable(): boolean {
    // A closing socket silently drops what it is sent: live cursors must stop, not run ahead.
    if (this.channel.closing?.()) return false;
    return this.channel.bufferedBytes() < this.options.highWaterBytes;
  }

  whenWritable(): Promise<void> {
    if (this.writable || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  send(notification: LiveNotification): void {
    if (this.closed) return;
    if (this.binaryOutput && notification.method === "process/output") {
      this.channel.sendBinary!(encodeOutputFrame(notification.params));
      this.checkQueue();
      return;
    }
    this.writeText(serializeNotification(notification));
  }

  /** Switches process/output to binary frames; false where the transport has none (stdio). */
  enableBinaryOutput(): boolean {
    this.binaryOutput = this.channel.sendBinary !== undefined;
    return this.binaryOutput;
  }

  /** The transport calls this whenever its buffer shrinks. */
  drained(): void {
    if (!this.writable) return;
    for (const waiter of this.drainWaiters.splice(0)) waiter();
  }

  /** The transport calls this once, when the peer is gone. Kills the connection's processes. */
  closedByPeer(reason?: string): void {
    if (this.closed) return;
    this.closed = true;
    this.options.log.debug(`${this.options.label} closed${reason ? `: ${reason}` : ""}`);
    this.handler?.close();
    for (const waiter of this.drainWaiters.splice(0)) waiter();
  }

  /** Closes from our side, with a logged reason. */
  close(reason: string): void {
    if (this.closed) return;
    this.options.log.warn(`closing ${this.options.label}: ${reason}`);
    this.channel.close(reason);
    this.closedByPeer(reason);
  }

  /** One inbound message, as text. */
  receive(text: string): void {
    if (this.closed) return;
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch (error) {
      this.replyError(null, new RpcError(ErrorCode.ParseError, `parse error: ${(error as Error).message}`));
      return;
    }
    if (typeof message !== "object" || message === null || Array.isArray(message)) {
      const what = Array.isArray(message) ? "batch requests are not supported" : "a message must be a JSON object";
      this.replyError(null, RpcError.invalidRequest(`invalid request: ${what}`));
      return;
    }
    this.route(message as Record<string, unknown>);
  }

  private route(message: Record<string, unknown>): void {
    const { id, method, params } = message;
    const hasId = Object.hasOwn(message, "id");
    const validId = typeof id === "string" || (typeof id === "number" && Number.isFinite(id));
    if (typeof method !== "string") {
      if (hasId && (Object.hasOwn(message, "result") || Object.hasOwn(message, "error"))) {
        this.options.log.debug(`${this.options.label}: ignored a response from the client`);
        return;
      }
      const why = method === undefined ? "missing method" : "method must be a string";
      this.replyError(validId ? (id as RequestId) : null, RpcError.invalidRequest(`invalid request: ${why}`));
      return;
    }
    if (!hasId) {
      this.handler?.handleNotification(method, params);
      return;
    }
    if (!validId) {
      this.replyError(null, RpcError.invalidRequest("invalid request: id must be a string or a number"));
      return;
    }
    const requestId = id as RequestId;
    const handler = this.handler;
    if (!handler) return;
    const slot = this.inFlight.acquire(method);
    if (slot instanceof RpcError) {
      this.replyError(requestId, slot);
      return;
    }
    handler.handleRequest(method, params).then(
      (result) => {
        slot.release();
        this.write({ id: requestId, result });
      },
      (error) => {
        slot.release();
        this.replyError(requestId, error);
      },
    );
  }

  private replyError(id: RequestId | null, error: unknown): void {
    if (!(error instanceof RpcError)) {
      const message = error instanceof Error ? error.message : String(error);
      this.options.log.error(`${this.options.label}: internal error: ${error instanceof Error ? error.stack : message}`);
      error = RpcError.internal(`internal error: ${message}`);
    }
    this.write({ id, error: (error as RpcError).toJSON() });
  }

  private write(message: object): void {
    if (this.closed) return;
    this.writeText(JSON.stringify(message));
  }

  private writeText(text: string): void {
    this.channel.send(text);
    this.checkQueue();
  }

  private checkQueue(): void {
    if (this.channel.bufferedBytes() > this.options.hardLimitBytes) {
      this.close(`peer is not reading: over ${this.options.hardLimitBytes} bytes queued`);
    }
  }
}
