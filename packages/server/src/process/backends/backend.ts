import type { ExitStatus, OutputStream } from "@x/exec-protocol";

export type { ExitStatus } from "@x/exec-protocol";

/** What a backend needs to start a child. Validated by the session before it gets here. */
export interface SpawnSpec {
  readonly argv: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly arg0?: string;
  readonly cols: number;
  readonly rows: number;
  /** Pipe processes only: keep stdin open for writes. */
  readonly pipeStdin: boolean;
}

/** One output stream of a child, pulled chunk by chunk. */
export interface OutputSource {
  readonly stream: OutputStream;
  /**
   * true when not calling `read` stops the child (a full pipe or a paused PTY
   * reader); false for push-only sources that must be drained as data arrives.
   */
  readonly backpressure: boolean;
  /** The next chunk, or null at end of file. */
  read(): Promise<Uint8Array | null>;
  /** Stops reading for good and releases the stream (its fd), even if it never reached end of file. */
  cancel(): void;
}

/** A running child as the process layer sees it, whatever the backend. */
export interface ChildHandle {
  readonly pid: number;
  readonly outputs: readonly OutputSource[];
  readonly exited: Promise<ExitStatus>;
  readonly acceptsInput: boolean;
  /** Resolves once the bytes are handed to the kernel (or buffered by the backend with a bound). */
  write(data: Uint8Array): Promise<void>;
  /** Pipes: close stdin. PTYs: send the terminal's EOF character. */
  closeStdin(): Promise<void>;
  resize(cols: number, rows: number): void;
  /** Signals the child's whole process group. */
  signalGroup(signal: NodeJS.Signals): void;
  /** Releases fds and terminals once the process is gone. Idempotent. */
  dispose(): void;
}

export interface ProcessBackend {
  readonly name: string;
  /**
   * Resolves once the backend can serve children (e.g. its reader thread runs);
   * rejects with a `SpawnError` saying why it cannot. Awaited before every spawn.
   */
  prepare?(): Promise<void>;
  /** Throws `SpawnError` when the OS refuses to start the child. */
  spawn(spec: SpawnSpec): ChildHandle;
}

/** The OS refused to start a child; the message names argv[0] and the OS error. */
export class SpawnError extends Error {
  override readonly name = "SpawnError";
}

/** Signals a process group, ignoring ESRCH (the group is already gone). */
export function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}

export function spawnErrorFor(argv0: string, error: unknown): SpawnError {
  const err = error as NodeJS.ErrnoException;
  const reason = err.code ? `${err.code}: ${err.message}` : String(err?.message ?? err);
  return new SpawnError(`failed to spawn ${JSON.stringify(argv0)}: ${reason}`);
}

/** Bun reports 128+n for signal deaths, with the signal's name (or number) beside it. */
export async function exitStatusOf(proc: Bun.Subprocess): Promise<ExitStatus> {
  const exitCode = await proc.exited;
  const signal = proc.signalCode;
  return { exitCode, signal: signal === null ? null : String(signal) };
}
