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

/** The OS refused to start a process (or the local server child). */
export class SpawnFailedError extends ExecServerError {
  override readonly name: string = "SpawnFailedError";
}

type ErrorClass = new (code: number, message: string, options?: ExecServerErrorOptions) => ExecServerError;

// The one place that decides which class an error code gets.
const ERROR_CLASSES: Readonly<Record<number, ErrorClass>> = {
  [ClientErrorCode.Timeout]: ExecTimeoutError,
  [ClientErrorCode.ConnectionClosed]: ConnectionClosedError,
  [ClientErrorCode.SpawnFailed]: SpawnFailedError,
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

/**
 * An error response from the server. The server reports a refused spawn as an
 * internal error of `process/start` (validation failures are -32602/-32600), so
 * that pair is the spawn failure.
 */
export function fromRpcError(method: string, error: RpcErrorObject): ExecServerError {
  const spawnFailed = method === "process/start" && error.code === ErrorCode.InternalError;
  const code = spawnFailed ? ClientErrorCode.SpawnFailed : error.code;
  return createError(code, error.message, { method, rpcCode: error.code, data: error.data });
}
