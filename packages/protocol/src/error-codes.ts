/** JSON-RPC error codes used on the wire. */
export const ErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  InvalidParams: -32602,
  InternalError: -32603,
  /** The session to resume is attached to another connection. */
  SessionAttached: -32010,
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
