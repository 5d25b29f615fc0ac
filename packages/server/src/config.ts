import { DEFAULT_MAX_MESSAGE_BYTES } from "@x/exec-protocol";
import type { ProcessLimits } from "./process/managed-process.ts";
import { DEFAULT_EXITED_LIMITS, type ExitedLimits } from "./session/retention-budget.ts";

export const PTY_BACKENDS = ["native", "ffi"] as const;
export type PtyBackendName = (typeof PTY_BACKENDS)[number];

/** Server-wide settings; the CLI maps its flags onto these. */
export interface ServerConfig extends ProcessLimits, ExitedLimits {
  /** How long an exited process stays readable before its id is freed. */
  readonly exitedRetentionMs: number;
  /** Largest inbound message; a larger one closes its connection. */
  readonly maxMessageBytes: number;
  /** Outbound bytes a connection may have queued before its processes stop being read. */
  readonly connectionHighWaterBytes: number;
  /** Outbound bytes after which a connection that does not read is closed. */
  readonly connectionHardLimitBytes: number;
  readonly ptyBackend: PtyBackendName;
  /** Running processes one connection may have. */
  readonly maxProcesses: number;
  /** Lines kept above the rendered screen of each PTY process. */
  readonly scrollbackLines: number;
  /** How long a dropped resumable session keeps its processes. */
  readonly detachedSessionTtlMs: number;
  /** Websocket ping interval (0: none); a peer that misses a whole interval is dropped. */
  readonly pingIntervalMs: number;
  /**
   * Make this process a child subreaper and reap orphans it adopts. For the
   * daemon only: a sweep reaps any exited child Bun did not spawn here, which in
   * a library host could be someone else's.
   */
  readonly subreaper: boolean;
  /** Write the screen model's answers to terminal queries (DA, CPR) back to the PTY. */
  readonly answerTerminalQueries: boolean;
  /** Trees fs methods, process cwd and watches are confined to (--fs-root); empty: anywhere. */
  readonly fsRoots: readonly string[];
}

export const DEFAULT_CONFIG: ServerConfig = {
  retainedOutputBytes: 1024 * 1024,
  exitDrainGraceMs: 250,
  sendHighWaterBytes: 1024 * 1024,
  undeliveredAllowanceBytes: 4 * 1024 * 1024,
  exitedRetentionMs: 30_000,
  ...DEFAULT_EXITED_LIMITS,
  maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
  connectionHighWaterBytes: 1 * 1024 * 1024,
  connectionHardLimitBytes: 256 * 1024 * 1024,
  ptyBackend: "native",
  maxProcesses: 256,
  snapshotStreamBytes: 64 * 1024,
  scrollbackLines: 1000,
  answerTerminalQueries: true,
  subreaper: false,
  detachedSessionTtlMs: 30_000,
  pingIntervalMs: 30_000,
  fsRoots: [],
};
