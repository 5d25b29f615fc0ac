import type { ServerNotification } from "@x/exec-protocol";

/**
 * Where a process's live notifications go: a connection's outbound queue, or an
 * in-process client. `writable` false means the peer is behind; the process
 * then stops pulling output from backpressured sources until `whenWritable`.
 */
export interface LiveSink {
  readonly writable: boolean;
  whenWritable(): Promise<void>;
  send(notification: ServerNotification): void;
}
