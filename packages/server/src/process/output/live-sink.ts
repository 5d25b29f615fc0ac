import type { OutputFrame, ServerNotification } from "@x/exec-protocol";

/**
 * A server notification as the process layer produces it: output carries raw
 * bytes, and each connection encodes them for its wire (base64 in JSON, or a
 * binary frame).
 */
export type LiveNotification =
  | Exclude<ServerNotification, { method: "process/output" }>
  | { method: "process/output"; params: OutputFrame };

/**
 * Where a process's live notifications go: a connection's outbound queue, or an
 * in-process client. `writable` false means the peer is behind; the process
 * then stops pulling output from backpressured sources until `whenWritable`.
 */
export interface LiveSink {
  readonly writable: boolean;
  whenWritable(): Promise<void>;
  send(notification: LiveNotification): void;
}
