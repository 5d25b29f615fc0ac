/** JSON-RPC error codes used on the wire. */
export const ErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  InvalidParams: -32602,
  InternalError: -32603,
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
