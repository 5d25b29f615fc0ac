import { RpcError } from "@x/exec-protocol";

/**
 * Bytes one connection's fs/readFile and fs/readBlock hold in flight. Each read takes its
 * length before it allocates and gives it back when its answer is built, so parallel reads
 * cannot make the daemon hold more than `limit` (plus their base64) at once.
 */
export class ReadBudget {
  private used = 0;

  constructor(private readonly limit: number) {}

  /** Takes `bytes` or refuses at once; call the returned function exactly once when done. */
  take(bytes: number, shown: string): () => void {
    if (this.used + bytes > this.limit) {
      throw RpcError.limitExceeded(
        `reading ${bytes} bytes of ${shown} would hold ${this.used + bytes} bytes of reads in flight on this connection ` +
          `(at most ${this.limit}, --max-message-bytes): wait for the reads already running`,
        "readBytesInFlight",
        this.limit,
      );
    }
    this.used += bytes;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.used -= bytes;
    };
  }
}
