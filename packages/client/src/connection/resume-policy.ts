import { ErrorCode } from "@x/exec-protocol";
import { ConnectionClosedError, ExecServerError, ExecTimeoutError } from "../errors.ts";

/** How hard a client tries to take its session back after the socket drops. */
export interface ResumeOptions {
  /** Reconnect attempts before giving up. Default 10. */
  readonly maxAttempts?: number;
  /** Wait before the second attempt; doubled for each later one, at most 5 s. Default 200. */
  readonly backoffMs?: number;
}

export interface ResumePolicy {
  readonly maxAttempts: number;
  readonly backoffMs: number;
}

const DEFAULT_MAX_ATTEMPTS = 10;
const DEFAULT_BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 5000;

/** `undefined` when resume is off. The defaults span about 26 s, inside the server's default 30 s TTL. */
export function resumePolicy(option: boolean | ResumeOptions | undefined): ResumePolicy | undefined {
  if (option === undefined || option === false) return undefined;
  const { maxAttempts = DEFAULT_MAX_ATTEMPTS, backoffMs = DEFAULT_BACKOFF_MS } = option === true ? {} : option;
  return { maxAttempts: Math.max(1, Math.floor(maxAttempts)), backoffMs: Math.max(0, backoffMs) };
}

/** The wait before attempt `attempt` (1-based): none before the first, since most drops reconnect at once. */
export function backoffBefore(policy: ResumePolicy, attempt: number): number {
  if (attempt <= 1) return 0;
  return Math.min(policy.backoffMs * 2 ** (attempt - 2), MAX_BACKOFF_MS);
}

/**
 * Whether another attempt may succeed. -32010 (attached elsewhere) is retried:
 * right after a drop it usually means the server has not noticed the old socket
 * close yet. -32600 (unknown or expired session) and any other answer are final.
 */
export function isRetryable(error: unknown): boolean {
  if (error instanceof ConnectionClosedError || error instanceof ExecTimeoutError) return true;
  return error instanceof ExecServerError && error.code === ErrorCode.SessionAttached;
}
