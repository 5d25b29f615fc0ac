import { ErrorCode, MAX_IN_FLIGHT_REQUESTS, RpcError } from "@x/exec-protocol";

/**
 * Answered at once, never left waiting: they are not counted, so a client whose
 * writes or waits are all stuck can still list, signal and terminate.
 */
const IMMEDIATE_METHODS: ReadonlySet<string> = new Set([
  "process/terminate",
  "process/signal",
  "process/list",
  "process/resize",
  "process/detach",
]);

/** One counted request; released once its answer is written. */
export interface InFlightSlot {
  release(): void;
}

/**
 * Counts a connection's unanswered requests. Every request in flight may hold
 * a timer, a waiter or a pending write, so a client that pipelines without
 * reading answers is refused past the bound instead of growing the daemon.
 */
export class InFlightLimiter {
  private count = 0;

  constructor(private readonly max: number = MAX_IN_FLIGHT_REQUESTS) {}


  /** Takes a slot for a request of `method` (release it with the answer), or returns the error to answer with. */
  acquire(method: string): InFlightSlot | RpcError {
    if (IMMEDIATE_METHODS.has(method)) return FREE_SLOT;
    if (this.count >= this.max) {
      return new RpcError(
        ErrorCode.TooManyRequests,
        `too many requests in flight: ${this.count} unanswered on this connection (limit ${this.max}); wait for answers before sending more`,
        { limit: "inFlightRequests", value: this.max },
      );
    }
    this.count++;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.count--;
      },
    };
  }
}

const FREE_SLOT: InFlightSlot = { release() {} };
