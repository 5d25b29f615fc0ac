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
   * waits, pending input, open file handles, watches, block size, a file too big
   * to answer whole); `data` says which limit.
   */
  LimitExceeded: -32003,
  /** The session to resume is attached to another connection. */
  SessionAttached: -32010,
  /**
   * Machine methods (fs, http) use -32040..-32049 (their bounds use LimitExceeded):
   * an operating system call failed; `data` is `{code: "ENOENT", errno, path, syscall}`.
   */
  OsError: -32040,
  /** The path is outside every `--fs-root` tree (`..` or a symlink leading out); `data.path`. */
  OutsideFsRoot: -32041,
  /** http/request could not complete (connection refused, DNS, timeout, body too large); `data.reason`. */
  HttpFailed: -32043,
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
