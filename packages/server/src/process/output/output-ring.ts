import type { DecodedOutputChunk, OutputStream } from "@x/exec-protocol";

export type RetainedChunk = DecodedOutputChunk;

/**
 * Retained output of one process: chunks with consecutive seqs (the first is 1),
 * bounded in bytes. Oldest chunks go first, and the dropped bytes are counted so
 * readers can be told about the gap instead of seeing a silent jump.
 */
export class OutputRing {
  private chunks: RetainedChunk[] = [];
  private head = 0; // index of the oldest retained chunk in `chunks`
  private retained = 0;
  private dropped = 0;
  private next = 1;

  constructor(readonly capacityBytes: number) {}

  /** Seq of the oldest retained chunk (equal to `nextSeq` when nothing is retained). */
  get firstSeq(): number {
    return this.next - (this.chunks.length - this.head);
  }

  /** Seq the next appended chunk will get. */
  get nextSeq(): number {
    return this.next;
  }

  get lastSeq(): number {
    return this.next - 1;
  }

  get retainedBytes(): number {
    return this.retained;
  }

  get droppedBytes(): number {
    return this.dropped;
  }

  /** Every byte ever appended: retained plus dropped. */
  get totalBytes(): number {
    return this.retained + this.dropped;
  }

  append(stream: OutputStream, data: Uint8Array): RetainedChunk {
    const chunk = { seq: this.next++, stream, data };
    this.chunks.push(chunk);
    this.retained += data.byteLength;
    return chunk;
  }

  /**
   * Drops oldest chunks until the ring fits its capacity. Chunks at or after
   * `keepFromSeq` (not yet delivered) may overflow the capacity by `allowance`
   * bytes before they are dropped too. The newest chunk is always kept.
   */
  trim(keepFromSeq = Number.POSITIVE_INFINITY, allowance = 0): void {
    while (this.retained > this.capacityBytes && this.chunks.length - this.head > 1) {
      const oldest = this.chunks[this.head]!;
      if (oldest.seq >= keepFromSeq && this.retained <= this.capacityBytes + allowance) break;
      this.chunks[this.head++] = undefined as unknown as RetainedChunk;
      this.retained -= oldest.data.byteLength;
      this.dropped += oldest.data.byteLength;
    }
    // Compact once the dead prefix dominates, so shifting stays amortised O(1).
    if (this.head > 1024 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }

  /** The retained chunk with this seq, if any. */
  at(seq: number): RetainedChunk | undefined {
    const first = this.firstSeq;
    if (seq < first || seq >= this.next) return undefined;
    return this.chunks[this.head + (seq - first)];
  }

  /**
   * Chunks with seq > afterSeq, oldest first, stopping before `maxBytes` would be
   * exceeded, but always at least one chunk when one is available.
   */
  read(afterSeq: number, maxBytes: number): RetainedChunk[] {
    const out: RetainedChunk[] = [];
    let bytes = 0;
    for (let seq = Math.max(afterSeq + 1, this.firstSeq); seq < this.next; seq++) {
      const chunk = this.at(seq)!;
      if (out.length > 0 && bytes + chunk.data.byteLength > maxBytes) break;
      out.push(chunk);
      bytes += chunk.data.byteLength;
    }
    return out;
  }
}
