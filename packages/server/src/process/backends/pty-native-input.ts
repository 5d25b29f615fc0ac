interface Waiter {
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/**
 * Input to a Bun terminal. `terminal.write` always reports the whole length and
 * buffers what the kernel did not take, without a bound; its `drain` callback
 * fires once the buffer is flushed. So a write is answered at the next drain:
 * a child that does not read leaves writes pending, and the process layer's
 * InputBudget refuses more past its bound instead of Bun buffering them.
 */
export class NativePtyInput {
  private readonly waiters: Waiter[] = [];
  private closedBy: Error | undefined;

  constructor(private readonly terminal: () => Bun.Terminal) {}

  write(data: Uint8Array): Promise<void> {
    if (this.closedBy) return Promise.reject(this.closedBy);
    if (this.terminal().closed) return Promise.reject(new Error("terminal is closed"));
    return new Promise((resolve, reject) => {
      // Registered first: the drain may come before write() returns.
      this.waiters.push({ resolve, reject });
      this.terminal().write(data);
    });
  }

  /** The terminal's `drain` callback: everything written so far reached the kernel. */
  drained(): void {
    for (const waiter of this.waiters.splice(0)) waiter.resolve();
  }

  /** The terminal ended: pending writes will never drain. */
  close(reason: Error): void {
    this.closedBy ??= reason;
    for (const waiter of this.waiters.splice(0)) waiter.reject(reason);
  }
}
