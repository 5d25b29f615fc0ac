import { EAGAIN, EINTR, errno, errnoError, libc } from "./libc.ts";

interface PendingWrite {
  readonly data: Uint8Array;
  offset: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/**
 * Writes to a non-blocking master from the main thread. What the kernel does not
 * take at once is queued in order, and retried when the reader worker reports
 * the fd writable, so a child that does not read its input never blocks the loop.
 */
export class PtyInput {
  private readonly pending: PendingWrite[] = [];
  private closedBy: Error | undefined;

  constructor(
    private readonly fd: number,
    private readonly wantWrite: () => void,
  ) {}

  get open(): boolean {
    return this.closedBy === undefined;
  }

  write(data: Uint8Array): Promise<void> {
    if (this.closedBy) return Promise.reject(this.closedBy);
    if (data.byteLength === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.pending.push({ data, offset: 0, resolve, reject });
      if (this.pending.length === 1) this.flush();
    });
  }

  /** The fd may take bytes again. */
  onWritable(): void {
    if (this.pending.length > 0) this.flush();
  }

  /** Fails what is queued and every later write. */
  close(reason: Error): void {
    if (this.closedBy) return;
    this.closedBy = reason;
    for (const write of this.pending.splice(0)) write.reject(reason);
  }

  private flush(): void {
    while (this.pending.length > 0) {
      const head = this.pending[0]!;
      const rest = head.data.subarray(head.offset);
      const n = libc.write(this.fd, rest, rest.byteLength);
      if (n >= 0) {
        head.offset += n;
        if (head.offset < head.data.byteLength) continue;
        this.pending.shift();
        head.resolve();
        continue;
      }
      const code = errno();
      if (code === EINTR) continue;
      if (code === EAGAIN) {
        this.wantWrite();
        return;
      }
      // EIO: nothing holds the slave any more.
      this.close(errnoError("write", code));
      return;
    }
  }
}
