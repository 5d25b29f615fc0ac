import type { OutputSource } from "../backend.ts";
import { ChunkQueue } from "../chunk-queue.ts";
import { READ_WINDOW_BYTES } from "./reader-messages.ts";

/**
 * The pull side of one PTY's output. Bytes count against the reader's window
 * until `read` hands them to the consumer; only then is credit returned, so a
 * consumer that stops pulling stops the reader, and the child blocks.
 */
export class PtyOutput implements OutputSource {
  readonly stream = "pty" as const;
  readonly backpressure = true;
  private readonly queue = new ChunkQueue((chunk) => this.consumed(chunk));
  private uncredited = 0;
  private readerStalled = false;

  constructor(private readonly credit: (bytes: number) => void) {}

  push(chunk: Uint8Array, stalled: boolean): void {
    if (stalled) this.readerStalled = true;
    this.queue.push(chunk);
  }

  end(): void {
    this.queue.end();
  }

  read(): Promise<Uint8Array | null> {
    return this.queue.read();
  }

  /** The master is closed by the backend's dispose(); this only ends the pull side. */
  cancel(): void {
    this.queue.end();
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
