import { ErrorCode, type RpcErrorObject } from "@x/exec-protocol";

/**
 * Codes for failures the client detects itself. They sit below the JSON-RPC
 * reserved range (-32768..-32000) so they never collide with a server code.
 */
export const ClientErrorCode = {
  Timeout: -33001,
  ConnectionClosed: -33002,
  SpawnFailed: -33003,
  /** The client stopped following an attached process (`detach()`) before it exited. */
  Detached: -33004,
  /** The client already has as many calls awaiting an answer as the server accepts (1,024). */
  TooManyRequests: -33005,
} as const;
export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

export interface ExecServerErrorOptions {
  /** The request method that failed, when there was one. */
  readonly method?: string;
  /** The JSON-RPC code the server answered with, when the server answered. */
  readonly rpcCode?: number;
  /** The server's `error.data`, or local details (e.g. a timed-out run's partial result). */
  readonly data?: unknown;
  readonly cause?: unknown;
}

/** The root of every error the SDK throws. `code` is the JSON-RPC code or a `ClientErrorCode`. */
export class ExecServerError extends Error {
  override readonly name: string = "ExecServerError";
  readonly method: string | undefined;
  readonly rpcCode: number | undefined;
  readonly data: unknown;

  constructor(
    readonly code: number,
    message: string,
    options: ExecServerErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.method = options.method;
    this.rpcCode = options.rpcCode;
    this.data = options.data;
  }
}

/** A deadline passed: connect, initialize, a request, or `run`'s `timeoutMs`. */
export class ExecTimeoutError extends ExecServerError {
  override readonly name: string = "ExecTimeoutError";
}

/** The connection is gone (closed by either side, or never opened): nothing more will arrive. */
export class ConnectionClosedError extends ExecServerError {
  override readonly name: string = "ConnectionClosedError";
}

/**
 * The OS refused to start a process (server code -32002, with `{ argv0, errno, reason }`
 * in `data`), or the local server child (ClientErrorCode.SpawnFailed).
 */
export class SpawnFailedError extends ExecServerError {
  override readonly name: string = "SpawnFailedError";
}

/**
 * A documented bound was hit: too many requests in flight (-32001 from the server,
 * ClientErrorCode.TooManyRequests when the client refuses before sending) or
 * a server limit such as processes, pending waits or pending input (-32003, `data`
 * is `{ limit, value }`). Nothing was done; retry once something has finished.
 */
export class LimitExceededError extends ExecServerError {
  override readonly name: string = "LimitExceededError";
}

type ErrorClass = new (code: number, message: string, options?: ExecServerErrorOptions) => ExecServerError;

// The one place that decides which class an error code gets.
const ERROR_CLASSES: Readonly<Record<number, ErrorClass>> = {
  [ClientErrorCode.Timeout]: ExecTimeoutError,
  [ClientErrorCode.ConnectionClosed]: ConnectionClosedError,
  [ClientErrorCode.SpawnFailed]: SpawnFailedError,
  [ErrorCode.SpawnFailed]: SpawnFailedError,
  [ErrorCode.TooManyRequests]: LimitExceededError,
  [ClientErrorCode.TooManyRequests]: LimitExceededError,
  [ErrorCode.LimitExceeded]: LimitExceededError,
};

export function createError(code: number, message: string, options?: ExecServerErrorOptions): ExecServerError {
  const Class = ERROR_CLASSES[code] ?? ExecServerError;
  return new Class(code, message, options);
}

export function timeoutError(message: string, options?: ExecServerErrorOptions): ExecTimeoutError {
  return createError(ClientErrorCode.Timeout, message, options) as ExecTimeoutError;
}

export function closedError(message: string, options?: ExecServerErrorOptions): ConnectionClosedError {
  return createError(ClientErrorCode.ConnectionClosed, message, options) as ConnectionClosedError;
}

/** An error response from the server: its code picks the class (see ERROR_CLASSES). */
export function fromRpcError(method: string, error: RpcErrorObject): ExecServerError {
  return createError(error.code, error.message, { method, rpcCode: error.code, data: error.data });
}
