import { concatBytes } from "../shared/bytes.ts";

/**
 * Splits a byte stream into newline-delimited messages (NDJSON), with a bound on
 * the size of one message. A trailing `\r` is dropped; blank lines are skipped.
 * Parts of an unfinished line are kept as bytes, so a UTF-8 character split
 * across reads decodes whole. Both the daemon's stdio and the client's use it.
 */
export class LineFramer {
  private pending: Uint8Array[] = [];
  private pendingCount = 0;
  private readonly decoder = new TextDecoder();

  constructor(private readonly maxMessageBytes: number) {}

  /** Bytes of an unfinished line held so far. */
  get pendingBytes(): number {
    return this.pendingCount;
  }

  /** Returns the complete lines in `chunk`; throws MessageTooLargeError past the bound. */
  push(chunk: Uint8Array): string[] {
    const lines: string[] = [];
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(0x0a, start);
      if (newline === -1) break;
      const line = this.take(chunk.subarray(start, newline));
      if (line.trim() !== "") lines.push(line);
      start = newline + 1;
    }
    if (start < chunk.byteLength) {
      this.pendingCount += chunk.byteLength - start;
      if (this.pendingCount > this.maxMessageBytes) {
        throw new MessageTooLargeError(this.maxMessageBytes);
      }
      // Copy: the caller may reuse its buffer.
      this.pending.push(chunk.slice(start));
    }
    return lines;
  }

  private take(tail: Uint8Array): string {
    let bytes = tail;
    if (this.pending.length > 0) {
      if (this.pendingCount + tail.byteLength > this.maxMessageBytes) {
        throw new MessageTooLargeError(this.maxMessageBytes);
      }
      bytes = concatBytes([...this.pending, tail]);
      this.pending = [];
      this.pendingCount = 0;
    } else if (tail.byteLength > this.maxMessageBytes) {
      throw new MessageTooLargeError(this.maxMessageBytes);
    }
    const text = this.decoder.decode(bytes);
    return text.endsWith("\r") ? text.slice(0, -1) : text;
  }
}

export class MessageTooLargeError extends Error {
  override readonly name = "MessageTooLargeError";
  constructor(readonly limit: number) {
    super(`message larger than the ${limit}-byte limit`);
  }
}
