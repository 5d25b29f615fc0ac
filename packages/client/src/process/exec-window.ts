import { HeadTailBuffer } from "@x/exec-protocol";
import type { OutputCursor } from "./output-cursor.ts";
import type { ExitStatus } from "./process-state.ts";

export interface WindowOptions {
  /** Collect for at most this long; the window closes earlier when the process exits. */
  readonly yieldTimeMs: number;
  /** Keep at most this many bytes: the head and the tail, with a marker for the omitted middle. */
  readonly maxOutputBytes?: number;
}

/** One window of output, in the style of codex's unified exec (`ExecWindow` adds the process). */
export interface WindowOutput {
  /** The window's output as UTF-8; if truncated, contains `[... N bytes omitted ...]`. */
  readonly output: string;
  /** The exit code, or undefined while the process is still running. */
  readonly exitCode: number | undefined;
  /** The signal that ended the process, or null; undefined while running. */
  readonly signal: string | null | undefined;
  /** Whether output is missing from this window: its middle left out, or chunks skipped. */
  readonly truncated: boolean;
  readonly omittedBytes: number;
  /**
   * Chunks that went by unread, their size unknown: the window started behind
   * what the server still retained (`--retained-output-bytes`), a jump in seq.
   */
  readonly skippedChunks: number;
}

export async function collectWindow(
  process: { readonly exitStatus: ExitStatus | undefined },
  cursor: OutputCursor,
  options: Required<WindowOptions>,
): Promise<WindowOutput> {
  const buffer = new HeadTailBuffer(options.maxOutputBytes);
  const deadline = Date.now() + options.yieldTimeMs;
  let seq = cursor.seq;
  let skippedChunks = 0;
  try {
    for (;;) {
      const next = await cursor.next({ deadline, stopAtExit: true });
      if (typeof next === "string") break;
      skippedChunks += next.seq - seq - 1;
      seq = next.seq;
      buffer.push(next.data);
    }
    // The cursor also moves past chunks it found gone without returning one.
    skippedChunks += cursor.seq - seq;
  } finally {
    cursor.release(); // between windows, output is not held back for this cursor
  }
  const exit = process.exitStatus;
  return {
    output: buffer.text(),
    exitCode: exit?.exitCode,
    signal: exit?.signal,
    truncated: buffer.omittedBytes > 0 || skippedChunks > 0,
    omittedBytes: buffer.omittedBytes,
    skippedChunks,
  };
}
