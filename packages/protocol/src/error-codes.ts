/** JSON-RPC error codes used on the wire. */
export const ErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  InvalidParams: -32602,
  InternalError: -32603,
  /** The connection already has the most requests in flight it may have (1,024 by default). */
  TooManyRequests: -32001,
  /** The OS refused to start the child; `data` is `{ argv0, errno, reason }`. */
  SpawnFailed: -32002,
  /**
   * A documented per-connection or per-process bound was hit (processes, pending
   * waits, pending input); `data` is `{ limit, value }`.
   */
  LimitExceeded: -32003,
  /** The session to resume is attached to another connection. */
  SessionAttached: -32010,
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
