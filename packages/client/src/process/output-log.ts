import type { DecodedOutputChunk } from "@x/exec-protocol";

// One chunk of a process's output as the server numbered it: `seq` is 1 for the
// process's first chunk, +1 per chunk; a jump means the server dropped chunks.
type OutputChunk = DecodedOutputChunk;

// Counted per chunk on top of its bytes, so many tiny chunks are bounded too.
const CHUNK_OVERHEAD_BYTES = 64;

const costOf = (chunk: OutputChunk) => chunk.data.byteLength + CHUNK_OVERHEAD_BYTES;

/**
 * The recent output of one process as the client received it live, oldest
 * first. Past `capacityBytes`, the oldest chunks that no active reader still
 * needs are evicted; readers fetch evicted seqs (≤ `evictedThrough`) from the
 * server's retention with process/read.
 */
export class OutputLog {
  private chunks: OutputChunk[] = [];
  /** ends[i]: bytes appended up to and including chunks[i], overhead included. */
  private ends: number[] = [];
  private head = 0;
  private appendedBytes = 0;
  private evictedBytes = 0;
  /** Highest seq the live stream has reached, whether delivered or announced as skipped. */
  liveSeq = 0;
  /** Chunks with seq ≤ this may be missing here. */
  evictedThrough = 0;

  constructor(readonly capacityBytes: number) {}

  /** Bytes held, including the per-chunk overhead. */
  get heldBytes(): number {
    return this.appendedBytes - this.evictedBytes;
  }

  append(chunk: OutputChunk): void {
    if (chunk.seq <= this.liveSeq) return; // a duplicate
    this.chunks.push(chunk);
    this.appendedBytes += costOf(chunk);
    this.ends.push(this.appendedBytes);
    this.liveSeq = chunk.seq;
  }

  /**
   * Evicts oldest chunks while over capacity, but none with seq ≥ `keepFromSeq`
   * (still unread by an active reader). The newest chunk always stays.
   */
  evict(keepFromSeq: number): void {
    while (this.heldBytes > this.capacityBytes && this.chunks.length - this.head > 1) {
      const oldest = this.chunks[this.head]!;
      if (oldest.seq >= keepFromSeq) break;
      this.evictedBytes = this.ends[this.head]!;
      this.evictedThrough = oldest.seq;
      this.chunks[this.head] = undefined as unknown as OutputChunk;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.ends = this.ends.slice(this.head);
      this.head = 0;
    }
  }

  /** The server will never send seqs up to `toSeq` live (process/outputSkipped). */
  skipTo(toSeq: number): void {
    if (toSeq > this.liveSeq) this.liveSeq = toSeq;
  }

  /** The first held chunk with seq > afterSeq. */
  after(afterSeq: number): OutputChunk | undefined {
    return this.chunks[this.indexAfter(afterSeq)];
  }

  /** Held bytes in chunks with seq > afterSeq. */
  bytesAfter(afterSeq: number): number {
    const index = this.indexAfter(afterSeq);
    if (index >= this.chunks.length) return 0;
    return this.appendedBytes - (index === this.head ? this.evictedBytes : this.ends[index - 1]!);
  }

  private indexAfter(afterSeq: number): number {
    let low = this.head;
    let high = this.chunks.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.chunks[mid]!.seq <= afterSeq) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}
