import type { NotificationMessage, RequestMessage } from "../jsonrpc.ts";

/** A request or notification as the client sends it (no `"jsonrpc"` member, as exec-server.v0). */
export type OutboundMessage = Omit<RequestMessage, "jsonrpc"> | Omit<NotificationMessage, "jsonrpc">;

/** Where a transport delivers what it receives. */
export interface TransportReceiver {
  /** One inbound message object (a response or a server notification), in arrival order. */
  message(message: unknown): void;
  /** The transport ended for a reason other than `close()`; called at most once. */
  closed(reason: string): void;
}

/**
 * The contract between a client and the thing that carries its messages; it
 * lives here because both sides use it: the client's stdio and websocket
 * transports implement it, and so does the daemon's in-process transport.
 * Moves message objects between the client and one server. Framing and encoding
 * (NDJSON, websocket frames, or none at all in-process) are the transport's business.
 */
export interface Transport {
  /** Called once, before the first `send`. */
  start(receiver: TransportReceiver): void;
  /** Queues one message; silently dropped once the transport has ended. */
  send(message: OutboundMessage): void;
  /** Ends the connection and releases what it holds. Idempotent. */
  close(): Promise<void>;
  /**
   * Flow control (optional): stop taking messages from the server until
   * `resume`, so backpressure reaches it. A few messages already received may
   * still be delivered.
   */
  pause?(): void;
  resume?(): void;
}
