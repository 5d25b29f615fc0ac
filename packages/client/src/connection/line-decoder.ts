import { concatBytes } from "../bytes.ts";

/**
 * Splits a byte stream into newline-delimited messages (NDJSON). Parts of an
 * unfinished line are kept as bytes so a UTF-8 character split across reads
 * decodes whole.
 */
export class LineDecoder {
  private pending: Uint8Array[] = [];
  private readonly decoder = new TextDecoder();

  /** The complete, non-blank lines `chunk` finishes, without their `\n` (or `\r\n`). */
  push(chunk: Uint8Array): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let newline = chunk.indexOf(0x0a); newline !== -1; newline = chunk.indexOf(0x0a, start)) {
      const line = this.take(chunk.subarray(start, newline));
      if (line.trim() !== "") lines.push(line);
      start = newline + 1;
    }
    // Copy: the stream may reuse its buffer.
    if (start < chunk.byteLength) this.pending.push(chunk.slice(start));
    return lines;
  }

  private take(tail: Uint8Array): string {
    let bytes = tail;
    if (this.pending.length > 0) {
      bytes = concatBytes([...this.pending, tail]);
      this.pending = [];
    }
    const text = this.decoder.decode(bytes);
    return text.endsWith("\r") ? text.slice(0, -1) : text;
  }
}
