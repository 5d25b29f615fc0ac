/** JSON-RPC error codes used on the wire. */
export const ErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  InvalidParams: -32602,
  InternalError: -32603,
  /** The session to resume is attached to another connection. */
  SessionAttached: -32010,
  /**
   * Machine methods (fs, http) use -32040..-32049:
   * an operating system call failed; `data` is `{code: "ENOENT", errno, path, syscall}`.
   */
  OsError: -32040,
  /** The path is outside every `--fs-root` tree (`..` or a symlink leading out); `data.path`. */
  OutsideFsRoot: -32041,
  /** A per-connection bound or size cap was hit (open handles, watches, a file too big to answer whole). */
  LimitExceeded: -32042,
  /** http/request could not complete (connection refused, DNS, timeout, body too large); `data.reason`. */
  HttpFailed: -32043,
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
