/**
 * Turns a push source (callbacks) into a pull source. The reader drains it as
 * fast as data arrives, so it only ever holds what arrived since the last read.
 */
export class ChunkQueue {
  private readonly queued: Uint8Array[] = [];
  private waiter: ((chunk: Uint8Array | null) => void) | undefined;
  private ended = false;

  push(chunk: Uint8Array): void {
    if (this.ended) return;
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
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
    if (next) return Promise.resolve(next);
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }
}
