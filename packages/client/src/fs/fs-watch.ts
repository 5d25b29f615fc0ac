import type { FsChange } from "@x/exec-protocol";
import type { WatchRouter } from "./watch-router.ts";

/** Changes held for a consumer that is not iterating; past this one `overflow` stands for them. */
const MAX_PENDING_CHANGES = 65_536;

/**
 * A running fs/watch as an async iterator of changes. `close()` (or leaving a
 * `for await` loop) sends fs/unwatch. The server coalesces changes and reports
 * lost ones as `{kind: "overflow"}`; so does this iterator when its consumer lags.
 */
export class FsWatch implements AsyncIterable<FsChange>, AsyncDisposable {
  private readonly pending: FsChange[] = [];
  private waiter: (() => void) | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(
    readonly watchId: string,
    private readonly path: string,
    private readonly router: WatchRouter,
    private readonly unwatch: () => Promise<unknown>,
  ) {
    router.add(watchId, { push: (changes) => this.push(changes), end: () => this.end() });
  }

  /** Ends the watch (idempotent). Iteration ends after the changes already received. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      this.router.remove(this.watchId);
      this.wake();
      await this.unwatch().catch(() => {});
    })();
    return this.closing;
  }

  /** The connection ended: iteration stops, no unwatch is sent. */
  end(): void {
    this.closed = true;
    this.router.remove(this.watchId);
    this.wake();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<FsChange> {
    try {
      for (;;) {
        const next = this.pending.shift();
        if (next) {
          yield next;
          continue;
        }
        if (this.closed) return;
        await new Promise<void>((resolve) => (this.waiter = resolve));
      }
    } finally {
      await this.close();
    }
  }

  private push(changes: FsChange[]): void {
    if (this.pending.length + changes.length > MAX_PENDING_CHANGES) {
      this.pending.length = 0;
      this.pending.push({ kind: "overflow", path: this.path });
    } else {
      this.pending.push(...changes);
    }
    this.wake();
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }
}
