import { concatBytes } from "@x/exec-protocol";
import { timeoutError } from "../errors.ts";
import { settledWithin } from "../timers.ts";
import type { OutputCursor } from "./output-cursor.ts";
import type { ExitStatus } from "./process-state.ts";

/** What `communicate` drives: a started process (a ProcessHandle). */
export interface RunTarget {
  readonly pid: number | undefined;
  readonly exitStatus: ExitStatus | undefined;
  readonly exited: Promise<unknown>;
  write(data: string | Uint8Array): Promise<void>;
  closeStdin(): Promise<void>;
  terminate(): Promise<unknown>;
}

/** What `client.run` resolves with. PTY output counts as stdout. */
export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly stdoutBytes: Uint8Array;
  readonly stderrBytes: Uint8Array;
  readonly exitCode: number;
  readonly signal: string | null;
  readonly pid: number | undefined;
}

const KILL_WAIT_MS = 5000;

/**
 * Feeds `stdin` (then EOF) while collecting every output chunk until the
 * process exits. Past `timeoutMs`, kills the process group and rejects with
 * ExecTimeoutError whose `data` is the partial RunResult.
 */
export async function communicate(
  process: RunTarget,
  cursor: OutputCursor,
  stdin: string | Uint8Array | undefined,
  timeoutMs: number | undefined,
): Promise<RunResult> {
  const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
  const stdout: Uint8Array[] = [];
  const stderr: Uint8Array[] = [];
  const collecting = (async () => {
    try {
      for (;;) {
        const next = await cursor.next({ deadline, stopAtExit: true });
        if (typeof next === "string") return next;
        (next.stream === "stderr" ? stderr : stdout).push(next.data);
      }
    } finally {
      cursor.release();
    }
  })();
  let feedError: unknown;
  // One per call, never settled: unreachable (with the race's reaction on it) once the call returns.
  // A module-level one would keep a reaction for every call ever made.
  const never = new Promise<never>(() => {});
  const feeding =
    stdin === undefined
      ? never
      : (async () => {
          await process.write(stdin);
          await process.closeStdin();
        })().then(
          () => never,
          (error: unknown) => {
            // A child that exits without reading all of its input is not an error (as with EPIPE).
            if (process.exitStatus) return never;
            feedError = error;
            return "feed-failed" as const;
          },
        );
  const outcome = await Promise.race([collecting, feeding]);
  if (outcome === "exited" || outcome === "end") return result(process, stdout, stderr);

  await process.terminate().catch(() => {});
  await settledWithin(process.exited, KILL_WAIT_MS);
  if (outcome === "feed-failed") throw feedError;
  throw timeoutError(`run timed out after ${timeoutMs} ms; the process was killed`, {
    method: "run",
    data: result(process, stdout, stderr),
  });
}

function result(process: RunTarget, stdout: Uint8Array[], stderr: Uint8Array[]): RunResult {
  const stdoutBytes = concatBytes(stdout);
  const stderrBytes = concatBytes(stderr);
  const decoder = new TextDecoder();
  return {
    stdout: decoder.decode(stdoutBytes),
    stderr: decoder.decode(stderrBytes),
    stdoutBytes,
    stderrBytes,
    exitCode: process.exitStatus?.exitCode ?? -1,
    signal: process.exitStatus?.signal ?? null,
    pid: process.pid,
  };
}
