import type { OutputSource } from "../backend.ts";
import { READ_WINDOW_BYTES } from "./reader-messages.ts";

/**
 * The pull side of one PTY's output. Bytes count against the reader's window
 * until `read` hands them to the consumer; only then is credit returned, so a
 * consumer that stops pulling stops the reader, and the child blocks.
 */
export class PtyOutput implements OutputSource {
  readonly stream = "pty" as const;
  readonly backpressure = true;
  private readonly queued: Uint8Array[] = [];
  private waiter: ((chunk: Uint8Array | null) => void) | undefined;
  private ended = false;
  private uncredited = 0;
  private readerStalled = false;

  constructor(private readonly credit: (bytes: number) => void) {}

  push(chunk: Uint8Array, stalled: boolean): void {
    if (this.ended) return;
    if (stalled) this.readerStalled = true;
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      this.consumed(chunk);
      waiter(chunk);
    } else {
      this.queued.push(chunk);
    }
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.(null);
  }

  read(): Promise<Uint8Array | null> {
    const next = this.queued.shift();
    if (next) {
      this.consumed(next);
      return Promise.resolve(next);
    }
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  /** Credit goes back in batches, or at once when the reader is waiting for it. */
  private consumed(chunk: Uint8Array): void {
    this.uncredited += chunk.byteLength;
    if (this.readerStalled || this.uncredited >= READ_WINDOW_BYTES / 2) {
      this.credit(this.uncredited);
      this.uncredited = 0;
      this.readerStalled = false;
    }
  }
}
