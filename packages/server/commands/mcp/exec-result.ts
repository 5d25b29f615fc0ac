import type { ExecWindow } from "@x/exec-client";
import { z } from "zod";
import type { Session } from "./session-table.ts";
import type { ToolReply } from "./tool.ts";

/** Output limits are in tokens, as agents count them; a token is taken as 4 bytes. */
export const BYTES_PER_TOKEN = 4;
export const DEFAULT_MAX_OUTPUT_TOKENS = 10_000;

/** A `yield_time_ms` parameter: how long a call may wait, described with its default. */
export function yieldTimeMs(description: string) {
  return z.number().int().nonnegative().optional().describe(description);
}

export const MaxOutputTokens = z
  .number()
  .int()
  .positive()
  .optional()
  .describe(`Keep at most about this many tokens of output (head and tail; default ${DEFAULT_MAX_OUTPUT_TOKENS})`);

/** What exec_command and write_stdin both answer. */
export const ExecResultShape = {
  output: z.string().describe("Output of this call as UTF-8 (for a PTY, stdout and stderr together, with escape sequences)"),
  running: z.boolean(),
  exit_code: z.number().int().nullable().describe("The exit code once exited (128+n after signal n); null while running"),
  signal: z.string().nullable().describe("The signal that ended the process, if one did"),
  session_id: z.number().int().optional().describe("Present while the process runs: pass it to write_stdin"),
  truncated: z.boolean().describe("Whether output is missing: the middle left out, or chunks skipped"),
  omitted_bytes: z.number().int().describe("How many bytes were left out of the middle"),
  skipped_chunks: z
    .number()
    .int()
    .describe("Output chunks (size unknown) produced since the previous call that the server no longer retained"),
  wall_time_ms: z.number().int(),
};

export type ExecResult = z.infer<z.ZodObject<typeof ExecResultShape>>;

export function maxOutputBytes(tokens: number | undefined): number {
  return (tokens ?? DEFAULT_MAX_OUTPUT_TOKENS) * BYTES_PER_TOKEN;
}

/** The window as the agent sees it: a status header, then the output. */
export function execReply(window: ExecWindow, session: Session | undefined, startedMs: number): ToolReply<ExecResult> {
  const running = window.exitCode === undefined;
  const structured: ExecResult = {
    output: window.output,
    running,
    exit_code: window.exitCode ?? null,
    signal: window.signal ?? null,
    truncated: window.truncated,
    omitted_bytes: window.omittedBytes,
    skipped_chunks: window.skippedChunks,
    wall_time_ms: Math.round(performance.now() - startedMs),
  };
  if (running && session) structured.session_id = session.id;
  const status = running
    ? `Process running with session ID ${session?.id}`
    : window.signal
      ? `Process killed by ${window.signal} (exit code ${window.exitCode})`
      : `Process exited with code ${window.exitCode}`;
  const missing = [
    window.omittedBytes > 0 ? `${window.omittedBytes} bytes left out of the middle` : "",
    window.skippedChunks > 0 ? `${window.skippedChunks} chunks skipped: produced faster than read, past the server's retention` : "",
  ].filter(Boolean);
  const omitted = missing.length > 0 ? ` (${missing.join("; ")})` : "";
  const text = `${status}\nWall time: ${(structured.wall_time_ms / 1000).toFixed(3)} seconds\nOutput${omitted}:\n${window.output}`;
  return { text, structured };
}
