import { encodeOutputFrame, ErrorCode, MAX_BATCH_ENTRIES, RpcError, type RequestId } from "@x/exec-protocol";
import type { Logger } from "../log.ts";
import type { LiveNotification, LiveSink } from "../process/output/live-sink.ts";
import type { OutboundChannel } from "./outbound-channel.ts";
import { serializeNotification, toWireNotification } from "./wire-notification.ts";

/** What the connection routes to: the exec handler, or anything shaped like it. */
export interface RequestHandler {
  handleRequest(method: string, params: unknown): Promise<unknown>;
  handleNotification(method: string, params: unknown): void;
  /** Resolves once the processes the close ended have exited. */
  close(): Promise<void>;
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
  /** Set once the peer sends `"jsonrpc":"2.0"`: its notifications then carry the member too. */
  private jsonrpc2 = false;
  private readonly drainWaiters: Array<() => void> = [];

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
    if (this.channel.sendMessage) this.channel.sendMessage(toWireNotification(notification));
    else this.writeText(serializeNotification(notification, this.jsonrpc2));
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

  /**
   * The transport calls this once, when the peer is gone. Kills the connection's
   * processes (unless its session may be resumed); resolves once they have exited.
   */
  closedByPeer(reason?: string): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.options.log.debug(`${this.options.label} closed${reason ? `: ${reason}` : ""}`);
    const ended = this.handler?.close() ?? Promise.resolve();
    for (const waiter of this.drainWaiters.splice(0)) waiter();
    return ended;
  }

  /** Closes from our side, with a logged reason. */
  close(reason: string): void {
    if (this.closed) return;
    this.options.log.warn(`closing ${this.options.label}: ${reason}`);
    this.channel.close(reason);
    void this.closedByPeer(reason);
  }

  /** One inbound message, as text: a request, a notification, or a JSON-RPC 2.0 batch array of them. */
  receive(text: string): void {
    if (this.closed) return;
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch (error) {
      const parseError = new RpcError(ErrorCode.ParseError, `parse error: ${(error as Error).message}`);
      this.write(this.errorReply(null, parseError, this.jsonrpc2));
      return;
    }
    this.receiveMessage(message);
  }

  /** One inbound message, already parsed (in-process transports skip the JSON). */
  receiveMessage(message: unknown): void {
    if (this.closed) return;
    if (Array.isArray(message)) {
      this.receiveBatch(message);
      return;
    }
    const reply = this.route(message, false);
    if (reply instanceof Promise) void reply.then((answer) => this.write(answer));
    else if (reply !== undefined) this.write(reply);
  }

  /**
   * A batch is answered with one array once every request in it is answered;
   * notifications add no entry, and a batch of only notifications gets nothing.
   * Batches exist only in JSON-RPC 2.0, so errors about the batch itself carry the member.
   */
  private receiveBatch(entries: unknown[]): void {
    if (entries.length === 0 || entries.length > MAX_BATCH_ENTRIES) {
      const why = entries.length === 0 ? "empty batch" : `a batch holds at most ${MAX_BATCH_ENTRIES} messages, got ${entries.length}`;
      this.write(this.errorReply(null, RpcError.invalidRequest(`invalid request: ${why}`), true));
      return;
    }
    const replies = entries.map((entry) => this.route(entry, true));
    void Promise.all(replies).then((answers) => {
      const owed = answers.filter((answer) => answer !== undefined);
      if (owed.length > 0) this.write(owed);
    });
  }

  /** What one message is owed: a reply now, a reply later, or nothing (notifications, stray responses). */
  private route(message: unknown, inBatch: boolean): object | Promise<object> | undefined {
    if (typeof message !== "object" || message === null || Array.isArray(message)) {
      return this.errorReply(null, RpcError.invalidRequest("invalid request: a message must be a JSON object"), inBatch || this.jsonrpc2);
    }
    const { id, method, params, jsonrpc } = message as Record<string, unknown>;
    // A peer that says 2.0 once gets the member on every notification from then on.
    const v2 = jsonrpc === "2.0";
    if (v2) this.jsonrpc2 = true;
    const hasId = Object.hasOwn(message, "id");
    const validId = typeof id === "string" || (typeof id === "number" && Number.isFinite(id));
    if (typeof method !== "string") {
      if (hasId && (Object.hasOwn(message, "result") || Object.hasOwn(message, "error"))) {
        this.options.log.debug(`${this.options.label}: ignored a response from the client`);
        return undefined;
      }
      const why = method === undefined ? "missing method" : "method must be a string";
      return this.errorReply(validId ? (id as RequestId) : null, RpcError.invalidRequest(`invalid request: ${why}`), v2);
    }
    if (!hasId) {
      this.handler?.handleNotification(method, params);
      return undefined;
    }
    if (!validId) {
      return this.errorReply(null, RpcError.invalidRequest("invalid request: id must be a string or a number"), v2);
    }
    const requestId = id as RequestId;
    const handler = this.handler;
    if (!handler) return undefined;
    return handler.handleRequest(method, params).then(
      (result) => (v2 ? { jsonrpc: "2.0", id: requestId, result } : { id: requestId, result }),
      (error) => this.errorReply(requestId, error, v2),
    );
  }

  private errorReply(id: RequestId | null, error: unknown, jsonrpc2: boolean): object {
    if (!(error instanceof RpcError)) {
      const message = error instanceof Error ? error.message : String(error);
      this.options.log.error(`${this.options.label}: internal error: ${error instanceof Error ? error.stack : message}`);
      error = RpcError.internal(`internal error: ${message}`);
    }
    const body = { id, error: (error as RpcError).toJSON() };
    return jsonrpc2 ? { jsonrpc: "2.0", ...body } : body;
  }

  private write(message: object): void {
    if (this.closed) return;
    if (this.channel.sendMessage) this.channel.sendMessage(message);
    else this.writeText(JSON.stringify(message));
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
