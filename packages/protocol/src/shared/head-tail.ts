import { concatBytes } from "./bytes.ts";

/**
 * Keeps the first and last bytes of a stream within `maxBytes` (half each),
 * counting what fell in between, like codex's unified exec does for a model's
 * context window: long outputs keep both the command's start (banners, first
 * errors) and its end (the final result). The client's exec windows and the
 * server's snapshots both cut output with it.
 */
export class HeadTailBuffer {
  private readonly headLimit: number;
  private readonly tailLimit: number;
  private head: Uint8Array[] = [];
  private headBytes = 0;
  private tail: Uint8Array[] = [];
  private tailBytes = 0;
  private omitted = 0;

  constructor(readonly maxBytes: number) {
    this.headLimit = Math.floor(maxBytes / 2);
    this.tailLimit = maxBytes - this.headLimit;
  }

  get omittedBytes(): number {
    return this.omitted;
  }

  push(data: Uint8Array): void {
    let rest = data;
    if (this.headBytes < this.headLimit) {
      const take = Math.min(this.headLimit - this.headBytes, rest.byteLength);
      this.head.push(rest.slice(0, take)); // a copy: do not pin a large chunk
      this.headBytes += take;
      rest = rest.subarray(take);
    }
    if (rest.byteLength === 0) return;
    this.tail.push(rest);
    this.tailBytes += rest.byteLength;
    while (this.tailBytes > this.tailLimit) {
      const excess = this.tailBytes - this.tailLimit;
      const first = this.tail[0]!;
      if (first.byteLength <= excess) {
        this.tail.shift();
        this.tailBytes -= first.byteLength;
        this.omitted += first.byteLength;
      } else {
        this.tail[0] = first.slice(excess);
        this.tailBytes -= excess;
        this.omitted += excess;
      }
    }
  }

  /** The kept bytes, head then tail, with nothing marking the cut. */
  bytes(): Uint8Array {
    return concatBytes([...this.head, ...this.tail]);
  }

  /**
   * The kept bytes as UTF-8 text, with `[... N bytes omitted ...]` where bytes
   * were dropped. Cuts never split a character: the bytes of a character cut in
   * two count as omitted.
   */
  text(): string {
    const decoder = new TextDecoder();
    if (this.omitted === 0) return decoder.decode(concatBytes([...this.head, ...this.tail]));
    const head = concatBytes(this.head);
    const tail = concatBytes(this.tail);
    const headEnd = completeUtf8Prefix(head);
    const tailStart = leadingContinuationBytes(tail);
    const omitted = this.omitted + (head.byteLength - headEnd) + tailStart;
    return (
      decoder.decode(head.subarray(0, headEnd)) +
      `\n[... ${omitted} bytes omitted ...]\n` +
      decoder.decode(tail.subarray(tailStart))
    );
  }
}

/** Length of the longest prefix that does not end inside a multi-byte character. */
function completeUtf8Prefix(bytes: Uint8Array): number {
  for (let back = 1; back <= Math.min(4, bytes.byteLength); back++) {
    const byte = bytes[bytes.byteLength - back]!;
    if ((byte & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return length > back ? bytes.byteLength - back : bytes.byteLength;
  }
  return bytes.byteLength;
}

function leadingContinuationBytes(bytes: Uint8Array): number {
  let count = 0;
  while (count < Math.min(3, bytes.byteLength) && (bytes[count]! & 0xc0) === 0x80) count++;
  return count;
}
