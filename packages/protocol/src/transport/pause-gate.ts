/**
 * A gate a transport closes while its client is paused (an iterating reader is
 * behind): whatever feeds the client waits on `opened` instead of delivering.
 */
export class PauseGate {
  private closedGate: { promise: Promise<void>; open: () => void } | undefined;

  get paused(): boolean {
    return this.closedGate !== undefined;
  }

  /** Resolves at once when open, else when `resume` is called. */
  get opened(): Promise<void> {
    return this.closedGate?.promise ?? Promise.resolve();
  }

  pause(): void {
    if (this.closedGate) return;
    let open!: () => void;
    const promise = new Promise<void>((resolve) => (open = resolve));
    this.closedGate = { promise, open };
  }

  resume(): void {
    const gate = this.closedGate;
    this.closedGate = undefined;
    gate?.open();
  }
}
