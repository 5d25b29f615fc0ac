import { RpcError } from "@x/exec-protocol";

/**
 * Input bytes one process may have accepted but not yet handed to the kernel.
 * A child that does not read its stdin leaves writes pending; without a bound a
 * client could pile up up to in-flight × message size of them in the daemon.
 */
export const MAX_PENDING_INPUT_BYTES = 8 * 1024 * 1024;

export class InputBudget {
  private pendingBytes = 0;

  constructor(
    private readonly processId: string,
    private readonly max: number = MAX_PENDING_INPUT_BYTES,
  ) {}


  /**
   * Runs `write` for `bytes` within the budget, or refuses with -32003. One write
   * larger than the whole budget still goes through when nothing else is pending
   * (its size is already bounded by --max-message-bytes).
   */
  track(bytes: number, write: () => Promise<void>): Promise<void> {
    if (this.pendingBytes > 0 && this.pendingBytes + bytes > this.max) {
      throw RpcError.limitExceeded(
        `too much pending input for process ${this.processId}: ${this.pendingBytes} bytes not yet taken by the child ` +
          `(limit ${this.max}); wait for earlier writes to be answered`,
        "pendingInputBytes",
        this.max,
      );
    }
    this.pendingBytes += bytes;
    const written = write();
    const release = () => {
      this.pendingBytes -= bytes;
    };
    written.then(release, release);
    return written;
  }
}
