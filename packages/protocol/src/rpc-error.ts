import type { RpcErrorObject } from "./jsonrpc.ts";
import { ErrorCode } from "./error-codes.ts";

/**
 * The one error that crosses the wire. Handlers throw it; anything else a handler
 * throws becomes -32603. The client rebuilds it from `{code, message, data}`.
 */
export class RpcError extends Error {
  override readonly name = "RpcError";

  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }

  toJSON(): RpcErrorObject {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }

  static invalidRequest(message: string, data?: unknown): RpcError {
    return new RpcError(ErrorCode.InvalidRequest, message, data);
  }

  static invalidParams(message: string, data?: unknown): RpcError {
    return new RpcError(ErrorCode.InvalidParams, message, data);
  }

  /** A documented bound was hit; `limit` names it (the CLI flag where there is one). */
  static limitExceeded(message: string, limit: string, value: number): RpcError {
    return new RpcError(ErrorCode.LimitExceeded, message, { limit, value });
  }

  static internal(message: string, data?: unknown): RpcError {
    return new RpcError(ErrorCode.InternalError, message, data);
  }
}
