import { RpcError } from "@x/exec-protocol";

/**
 * Requests of one connection that may sit waiting on the server at once:
 * `process/wait` and `process/read` with `waitMs`. Each holds a timer and a
 * waiter on a process for up to its timeout (an hour is valid), so they get a
 * bound of their own, below the in-flight bound, leaving room for other calls.
 */
export const MAX_PENDING_WAITS = 256;

export class WaitBudget {
  private pending = 0;

  constructor(private readonly max: number = MAX_PENDING_WAITS) {}


  /** Runs one waiting request within the budget; refuses it with -32003 when the budget is spent. */
  async run<T>(method: string, wait: () => T | Promise<T>): Promise<T> {
    if (this.pending >= this.max) {
      throw RpcError.limitExceeded(
        `too many pending waits: ${this.pending} ${method} calls of this connection are waiting (limit ${this.max})`,
        "pendingWaits",
        this.max,
      );
    }
    this.pending++;
    try {
      return await wait();
    } finally {
      this.pending--;
    }
  }
}

/** Whether a request may wait on the server (and so counts against the WaitBudget). */
export function isWaitingRequest(method: string, params: unknown): boolean {
  if (method === "process/wait") return true;
  return method === "process/read" && ((params as { waitMs?: number }).waitMs ?? 0) > 0;
}
