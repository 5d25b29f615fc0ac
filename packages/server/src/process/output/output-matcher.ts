/** Text kept for pattern matching: enough for any prompt or log line, bounded for floods. */
const MAX_MATCH_TEXT = 1024 * 1024;

/**
 * Matches a regular expression against output text as it arrives, across chunk
 * boundaries (and UTF-8 sequences split between chunks).
 */
export class OutputMatcher {
  private readonly decoder = new TextDecoder();
  private text = "";

  constructor(private readonly pattern: RegExp) {}

  /** Adds a chunk; true once the text seen so far matches. */
  push(data: Uint8Array): boolean {
    this.text += this.decoder.decode(data, { stream: true });
    if (this.text.length > MAX_MATCH_TEXT) this.text = this.text.slice(-MAX_MATCH_TEXT / 2);
    this.pattern.lastIndex = 0;
    return this.pattern.test(this.text);
  }
}
