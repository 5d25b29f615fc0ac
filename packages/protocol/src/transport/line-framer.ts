/**
 * Splits a byte stream into newline-delimited messages (NDJSON), with a bound on
 * the size of one message. A trailing `\r` is dropped; blank lines are skipped.
 * Both the daemon's stdio and the client's use it.
 *
 * The unfinished part of a line is decoded at once (a streaming decoder keeps a
 * UTF-8 character split across reads whole) and kept as text, never as a copy of
 * the caller's bytes: output lines are often larger than one read, and copying
 * them as bytes, joining and decoding again cost a third more than decoding once.
 */
export class LineFramer {
  private parts: string[] = [];
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
      if (this.pendingCount + newline - start > this.maxMessageBytes) {
        throw new MessageTooLargeError(this.maxMessageBytes);
      }
      // Not streaming: ends the line, with any bytes the decoder held from the previous read.
      let line = this.decoder.decode(chunk.subarray(start, newline));
      if (this.parts.length > 0) {
        line = this.parts.join("") + line;
        this.parts = [];
        this.pendingCount = 0;
      }
      if (line.endsWith("\r")) line = line.slice(0, -1);
      if (line.trim() !== "") lines.push(line);
      start = newline + 1;
    }
    if (start < chunk.byteLength) {
      this.pendingCount += chunk.byteLength - start;
      if (this.pendingCount > this.maxMessageBytes) {
        throw new MessageTooLargeError(this.maxMessageBytes);
      }
      this.parts.push(this.decoder.decode(chunk.subarray(start), { stream: true }));
    }
    return lines;
  }
}

export class MessageTooLargeError extends Error {
  override readonly name = "MessageTooLargeError";
  constructor(readonly limit: number) {
    super(`message larger than the ${limit}-byte limit`);
  }
}
