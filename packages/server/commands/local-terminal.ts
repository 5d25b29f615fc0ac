/**
 * The user's terminal while a remote process has it: raw mode (every key,
 * Ctrl-C included, goes to the process), its size, and putting it back.
 */
export class LocalTerminal implements Disposable {
  private raw = false;

  get isTty(): boolean {
    return process.stdin.isTTY === true;
  }

  size(): { cols: number; rows: number } {
    return { cols: process.stdout.columns || 80, rows: process.stdout.rows || 24 };
  }

  enterRaw(): void {
    if (!this.isTty || this.raw) return;
    process.stdin.setRawMode(true);
    this.raw = true;
  }

  /** Calls `listener` with the new size after SIGWINCH; returns the unsubscribe. */
  onResize(listener: (size: { cols: number; rows: number }) => void): () => void {
    const handler = () => listener(this.size());
    process.stdout.on("resize", handler);
    return () => void process.stdout.off("resize", handler);
  }

  /**
   * Leaving a full-screen program behind (detach, lost connection): put back
   * what it may have switched: main screen, visible cursor, plain colours, no
   * mouse reporting, no bracketed paste, normal cursor keys and keypad.
   */
  resetModes(): void {
    if (!this.isTty) return;
    process.stdout.write("\x1b[0m\x1b[?1049l\x1b[?25h\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?2004l\x1b[?1l\x1b>");
  }

  restore(): void {
    if (!this.raw) return;
    process.stdin.setRawMode(false);
    this.raw = false;
  }

  [Symbol.dispose](): void {
    this.restore();
  }
}
