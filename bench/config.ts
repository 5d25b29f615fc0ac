/** exec-server PTY backends the PTY workloads loop over; "native" runs without --pty-backend. */
export const PTY_BACKENDS: readonly string[] = ["native", "ffi"];

export type ModeName = "quick" | "full";

export interface Sizes {
  /** Workload 1: bytes of random binary `cat` writes to a pipe. */
  readonly pipeBytes: number;
  /** Workload 2: bytes of random input that `base64` encodes through the terminal. */
  readonly ptyBytes: number;
  /** Runs per throughput measurement (the median is reported). */
  readonly reps: number;
  /** Workload 3: single-byte writes timed. */
  readonly echoCount: number;
  /** Workload 4: `true` processes per pass, and how many in flight in the concurrent pass. */
  readonly spawnCount: number;
  readonly spawnInFlight: number;
  /** Workload 5: interactive shells held open at once. */
  readonly idleShells: number;
  /** Workload 6: what the child offers, the client's read rate and how long it reads. */
  readonly slowTotalBytes: number;
  readonly slowBytesPerSec: number;
  readonly slowSeconds: number;
  /** Workload 7: sequential process/read round trips. */
  readonly readRoundTrips: number;
}

const MiB = 1024 * 1024;

export const SIZES: Record<ModeName, Sizes> = {
  quick: {
    pipeBytes: 32 * MiB,
    ptyBytes: 4 * MiB,
    reps: 1,
    echoCount: 200,
    spawnCount: 100,
    spawnInFlight: 16,
    idleShells: 50,
    slowTotalBytes: 1024 * MiB,
    slowBytesPerSec: MiB,
    slowSeconds: 4,
    readRoundTrips: 2_000,
  },
  full: {
    pipeBytes: 256 * MiB,
    ptyBytes: 48 * MiB,
    reps: 3,
    echoCount: 1_000,
    spawnCount: 500,
    spawnInFlight: 16,
    idleShells: 500,
    slowTotalBytes: 1024 * MiB,
    slowBytesPerSec: MiB,
    slowSeconds: 30,
    readRoundTrips: 20_000,
  },
};
