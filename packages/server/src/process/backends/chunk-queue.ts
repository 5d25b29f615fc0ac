/**
 * Turns a push source (callbacks) into a pull source. `onTaken` runs as each
 * chunk is handed to the reader, which is where a reader with credit-based
 * flow control returns credit.
 */
export class ChunkQueue {
  private readonly queued: Uint8Array[] = [];
  private waiter: ((chunk: Uint8Array | null) => void) | undefined;
  private ended = false;

  constructor(private readonly onTaken: (chunk: Uint8Array) => void = () => {}) {}

  push(chunk: Uint8Array): void {
    if (this.ended) return;
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      this.onTaken(chunk);
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
      this.onTaken(next);
      return Promise.resolve(next);
    }
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }
}
