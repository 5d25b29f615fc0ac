import {
  encodeBase64,
  HeadTailBuffer,
  RpcError,
  type ProcessInfo,
  type ReadResult,
  type SnapshotParams,
  type SnapshotResult,
  type WaitParams,
  type WaitResult,
} from "@x/exec-protocol";
import { OutputMatcher } from "./output/output-matcher.ts";
import type { ProcessOutput } from "./output/process-output.ts";
import type { TerminalScreen } from "./screen/terminal-screen.ts";

// Read-only questions about a process's output and state, answered from its ring,
// its exit status and (for PTYs) its screen.

/** What the queries read of a process: never its input, signals or lifetime. */
export interface QueriedProcess {
  readonly processId: string;
  readonly argv: readonly string[];
  readonly tty: boolean;
  readonly pid: number;
  readonly startedAt: number;
  readonly running: boolean;
  readonly disposed: boolean;
  readonly output: Pick<ProcessOutput, "ring" | "exited" | "exit" | "exitedAt" | "closed" | "nextChange">;
  readonly screen: Pick<TerminalScreen, "snapshot"> | undefined;
}

export async function readOutput(proc: QueriedProcess, afterSeq: number, maxBytes: number, waitMs: number): Promise<ReadResult> {
  if (waitMs > 0 && proc.output.ring.lastSeq <= afterSeq && !proc.output.exited) {
    await proc.output.nextChange(waitMs);
  }
  const chunks = proc.output.ring.read(afterSeq, maxBytes);
  const last = chunks.at(-1);
  return {
    chunks: chunks.map(({ seq, stream, data }) => ({ seq, stream, chunk: encodeBase64(data) })),
    nextSeq: last ? last.seq + 1 : proc.output.ring.nextSeq,
    exited: proc.output.exited,
    exitCode: proc.output.exit?.exitCode ?? null,
    signal: proc.output.exit?.signal ?? null,
    closed: proc.output.closed,
    firstSeq: proc.output.ring.firstSeq,
    droppedBytes: proc.output.ring.droppedBytes,
  };
}

/** Server-side wait for exit, a pattern, or idleness; never kills the process. */
export async function waitForOutput(
  proc: QueriedProcess,
  params: Pick<WaitParams, "timeoutMs" | "afterSeq" | "until">,
): Promise<WaitResult> {
  const until = params.until ?? {};
  const matcher = until.pattern === undefined ? undefined : new OutputMatcher(compilePattern(until.pattern));
  const deadline = performance.now() + params.timeoutMs;
  let cursor = params.afterSeq ?? proc.output.ring.lastSeq;
  let lastOutputAt = performance.now();
  const result = (fields: Partial<WaitResult>): WaitResult => ({
    exited: proc.output.exited,
    exitCode: proc.output.exit?.exitCode ?? null,
    signal: proc.output.exit?.signal ?? null,
    seq: cursor,
    matched: false,
    idle: false,
    timedOut: false,
    ...fields,
  });
  for (;;) {
    for (const chunk of proc.output.ring.read(cursor, Number.POSITIVE_INFINITY)) {
      cursor = chunk.seq;
      lastOutputAt = performance.now();
      if (matcher?.push(chunk.data)) return result({ matched: true });
    }
    // Exit ends every wait (`until.exit` is the default condition): the output before it has been seen.
    if (proc.output.exited) return result({});
    const now = performance.now();
    if (until.idleMs !== undefined && now - lastOutputAt >= until.idleMs) return result({ idle: true });
    if (now >= deadline || proc.disposed) return result({ timedOut: true });
    const idleLeft = until.idleMs === undefined ? Number.POSITIVE_INFINITY : until.idleMs - (now - lastOutputAt);
    await proc.output.nextChange(Math.max(1, Math.min(deadline - now, idleLeft)));
  }
}

/** Retained output as head+tail per stream and, for PTYs, the rendered screen: all as of one seq. */
export async function snapshotOutput(
  proc: QueriedProcess,
  params: Pick<SnapshotParams, "scrollback" | "serialize">,
  streamCap: number,
): Promise<SnapshotResult> {
  // The screen reflects every chunk appended before this call; the bytes below are cut at its seq.
  const rendered = await proc.screen?.snapshot({ scrollback: params.scrollback, serialize: params.serialize });
  const seq = rendered?.seq ?? proc.output.ring.lastSeq;
  const chunks = proc.output.ring.read(0, Number.POSITIVE_INFINITY).filter((chunk) => chunk.seq <= seq);
  const cap = streamCap;
  const part = (stream: string) => {
    const buffer = new HeadTailBuffer(cap);
    for (const chunk of chunks) if (chunk.stream === stream) buffer.push(chunk.data);
    return buffer;
  };
  const [stdout, stderr, terminal] = [part("stdout"), part("stderr"), part("pty")];
  const omittedBytes = proc.output.ring.droppedBytes + stdout.omittedBytes + stderr.omittedBytes + terminal.omittedBytes;
  return {
    stdout: encodeBase64(stdout.bytes()),
    stderr: encodeBase64(stderr.bytes()),
    terminal: encodeBase64(terminal.bytes()),
    truncated: omittedBytes > 0,
    omittedBytes,
    exitCode: proc.output.exit?.exitCode ?? null,
    running: proc.running,
    seq,
    ...(rendered && {
      screen: {
        cols: rendered.cols,
        rows: rendered.rows,
        cursor: rendered.cursor,
        altScreen: rendered.altScreen,
        lines: rendered.lines,
        ...(rendered.scrollback && { scrollback: rendered.scrollback }),
      },
      ...(rendered.serialized !== undefined && { serialized: rendered.serialized }),
    }),
  };
}

export function describeProcess(proc: QueriedProcess): ProcessInfo {
  const exit = proc.output.exit;
  return {
    processId: proc.processId,
    pid: proc.pid,
    argv: [...proc.argv],
    tty: proc.tty,
    running: proc.running,
    exitCode: exit?.exitCode ?? null,
    signal: exit?.signal ?? null,
    startedAt: proc.startedAt,
    exitedAt: proc.output.exitedAt ?? null,
    nextSeq: proc.output.ring.nextSeq,
  };
}

function compilePattern(pattern: string): RegExp {
  try {
    return new RegExp(pattern, "m");
  } catch (error) {
    throw RpcError.invalidParams(`invalid pattern: ${(error as Error).message}`);
  }
}
