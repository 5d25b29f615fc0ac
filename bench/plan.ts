import { PTY_BACKENDS, type Sizes } from "./config.ts";
import type { TargetKind, TargetSpec } from "./targets/target.ts";
import type { WorkloadId } from "./workloads/measurement.ts";

export type Role = "ours" | "peer" | "baseline";

export interface MetricDef {
  readonly key: string;
  readonly label: string;
  readonly unit: string;
  readonly better: "higher" | "lower";
}

/** A target from the issue: a ratio to a reference row, or an absolute bound. */
export interface Goal {
  readonly metric: string;
  /** Label of the reference row; absent for an absolute bound on the value itself. */
  readonly vs?: string;
  /** Ratio (ours ÷ reference) or value must be at least this... */
  readonly min?: number;
  /** ...or at most this. */
  readonly max?: number;
}

export interface Case {
  readonly label: string;
  readonly role: Role;
  readonly spec: TargetSpec;
  /** Whether the issue's goals are checked on this row (exec-server over websocket). */
  readonly checked?: boolean;
  /** Goals of this row alone, instead of the workload's; `vs` may name another exec-server row. */
  readonly goals?: readonly Goal[];
}

export interface WorkloadPlan {
  readonly id: WorkloadId;
  readonly title: string;
  readonly detail: string;
  readonly metrics: readonly MetricDef[];
  readonly goals: readonly Goal[];
  readonly cases: readonly Case[];
  readonly expectedBytes?: number;
}

export interface Fixtures {
  readonly pipeFile: string;
  readonly ptyFile: string;
  readonly ptyExpectedBytes: number;
}

export const IN_PROCESS = "in-process Bun";
export const NODE_PTY = "node-pty+ws";
export const WEBSOCKETD = "websocketd";
export const TERMINADO = "terminado";

const MiB = 1024 * 1024;
const INTERACTIVE_BASH = ["bash", "--norc", "--noprofile", "-i"];

function spec(kind: TargetKind, command: string[], tty: boolean, ptyBackend?: string, daemonArgs?: string[]): TargetSpec {
  return { kind, command, tty, ...(ptyBackend === undefined ? {} : { ptyBackend }), ...(daemonArgs ? { daemonArgs } : {}) };
}

/** exec-server over websocket with binary output frames (opt-in), one row per PTY backend for terminals. */
function oursBinary(command: string[], tty: boolean): Case[] {
  const backends = tty ? PTY_BACKENDS : [undefined];
  return backends.map((backend) => ({
    label: `exec-server ws binary${backend === undefined ? "" : `/${backend}`}`,
    role: "ours" as const,
    spec: { ...spec("exec-server-ws", command, tty, backend), binaryOutput: true },
    checked: true,
  }));
}

/** exec-server rows: one per PTY backend for terminal workloads, over websocket and optionally stdio. */
function ours(command: string[], tty: boolean, withStdio: boolean, daemonArgs?: string[]): Case[] {
  const backends = tty ? PTY_BACKENDS : [undefined];
  return backends.flatMap((backend) => {
    const suffix = backend === undefined ? "" : `/${backend}`;
    const rows: Case[] = [
      {
        label: `exec-server ws${suffix}`,
        role: "ours",
        spec: spec("exec-server-ws", command, tty, backend, daemonArgs),
        checked: true,
      },
    ];
    if (withStdio) {
      rows.push({
        label: `exec-server stdio${suffix}`,
        role: "ours",
        spec: spec("exec-server-stdio", command, tty, backend, daemonArgs),
      });
    }
    return rows;
  });
}

/** Gives the named rows goals of their own (the issue sets different targets per row). */
function withGoals(cases: readonly Case[], goals: Readonly<Record<string, readonly Goal[]>>): Case[] {
  return cases.map((row) => (goals[row.label] === undefined ? row : { ...row, checked: true, goals: goals[row.label] }));
}

export function buildPlan(sizes: Sizes, fixtures: Fixtures): WorkloadPlan[] {
  const pipeCommand = ["cat", fixtures.pipeFile];
  const ptyCommand = ["base64", fixtures.ptyFile];
  const slowCommand = ["head", "-c", String(sizes.slowTotalBytes), "/dev/zero"];
  const mib = (bytes: number) => `${Math.round(bytes / MiB)} MiB`;
  return [
    {
      id: "pipe-throughput",
      title: "1. Pipe throughput",
      detail: `cat of ${mib(sizes.pipeBytes)} random binary to stdout`,
      metrics: [{ key: "throughput", label: "MiB/s", unit: "MiB/s", better: "higher" }],
      // Binary frames: at least the peers; JSON + base64: at least 0.85x of them; stdio at least websocket.
      goals: [
        { metric: "throughput", vs: WEBSOCKETD, min: 1.0 },
        { metric: "throughput", vs: NODE_PTY, min: 1.0 },
      ],
      expectedBytes: sizes.pipeBytes,
      cases: withGoals([
        { label: "kernel cat > /dev/null", role: "baseline", spec: spec("kernel-devnull", pipeCommand, false) },
        { label: "kernel cat | cat", role: "baseline", spec: spec("kernel-pipe", pipeCommand, false) },
        { label: IN_PROCESS, role: "baseline", spec: spec("in-process", pipeCommand, false) },
        { label: WEBSOCKETD, role: "peer", spec: spec("websocketd", pipeCommand, false) },
        { label: NODE_PTY, role: "peer", spec: spec("node-pty-ws", pipeCommand, false) },
        ...ours(pipeCommand, false, true),
        ...oursBinary(pipeCommand, false),
        {
          label: "exec-server SDK",
          role: "ours",
          spec: spec("exec-server-sdk", pipeCommand, false),
          checked: true,
          goals: [{ metric: "throughput", vs: "exec-server ws binary", min: 0.9 }],
        },
      ], {
        "exec-server ws": [
          { metric: "throughput", vs: WEBSOCKETD, min: 0.85 },
          { metric: "throughput", vs: NODE_PTY, min: 0.85 },
        ],
        "exec-server stdio": [{ metric: "throughput", vs: "exec-server ws", min: 1.0 }],
      }),
    },
    {
      id: "pty-throughput",
      title: "2. PTY throughput",
      detail: `base64 of ${mib(sizes.ptyBytes)} random through the terminal (${mib(fixtures.ptyExpectedBytes)} out)`,
      metrics: [{ key: "throughput", label: "MiB/s", unit: "MiB/s", better: "higher" }],
      goals: [{ metric: "throughput", vs: NODE_PTY, min: 1.0 }],
      expectedBytes: fixtures.ptyExpectedBytes,
      cases: [
        { label: IN_PROCESS, role: "baseline", spec: spec("in-process", ptyCommand, true) },
        { label: NODE_PTY, role: "peer", spec: spec("node-pty-ws", ptyCommand, true) },
        { label: TERMINADO, role: "peer", spec: spec("terminado", ptyCommand, true) },
        ...ours(ptyCommand, true, true),
        ...oursBinary(ptyCommand, true),
      ],
    },
    {
      id: "echo-latency",
      title: "3. Keystroke echo latency",
      detail: `${sizes.echoCount} single-byte writes to cat in a terminal, until each echo is back`,
      metrics: [
        { key: "p50", label: "p50 ms", unit: "ms", better: "lower" },
        { key: "p99", label: "p99 ms", unit: "ms", better: "lower" },
      ],
      goals: [{ metric: "p50", vs: NODE_PTY, max: 1.0 }],
      cases: [
        { label: IN_PROCESS, role: "baseline", spec: spec("in-process", ["cat"], true) },
        { label: NODE_PTY, role: "peer", spec: spec("node-pty-ws", ["cat"], true) },
        { label: TERMINADO, role: "peer", spec: spec("terminado", ["cat"], true) },
        ...ours(["cat"], true, true),
      ],
    },
    {
      id: "spawn-rate",
      title: "4. Spawn rate",
      detail: `true from start to exited, ${sizes.spawnCount} one at a time and ${sizes.spawnCount} with ${sizes.spawnInFlight} in flight (peers: a connection per process)`,
      metrics: [
        { key: "sequential", label: "seq /s", unit: "/s", better: "higher" },
        { key: "concurrent", label: `${sizes.spawnInFlight}-way /s`, unit: "/s", better: "higher" },
      ],
      goals: [{ metric: "sequential", vs: IN_PROCESS, min: 0.8 }],
      cases: [
        { label: IN_PROCESS, role: "baseline", spec: spec("in-process", ["true"], false) },
        { label: WEBSOCKETD, role: "peer", spec: spec("websocketd", ["true"], false) },
        { label: NODE_PTY, role: "peer", spec: spec("node-pty-ws", ["true"], false) },
        ...ours(["true"], false, true),
      ],
    },
    {
      id: "idle-scale",
      title: "5. Idle scale",
      detail: `${sizes.idleShells} interactive bash in terminals held open; server RSS growth per shell`,
      metrics: [{ key: "perShell", label: "MiB/shell", unit: "MiB", better: "lower" }],
      goals: [{ metric: "perShell", max: 0.1 }],
      cases: [
        { label: NODE_PTY, role: "peer", spec: spec("node-pty-ws", INTERACTIVE_BASH, true) },
        { label: TERMINADO, role: "peer", spec: spec("terminado", INTERACTIVE_BASH, true) },
        // All shells on one connection, past the daemon's default per-connection cap.
        ...ours(INTERACTIVE_BASH, true, false, ["--max-processes", String(sizes.idleShells + 16)]),
      ],
    },
    {
      id: "slow-consumer",
      title: "6. Slow consumer",
      detail: `a child offering ${mib(sizes.slowTotalBytes)}, the client reading ${mib(sizes.slowBytesPerSec)}/s for ${sizes.slowSeconds} s; server peak RSS above idle`,
      metrics: [{ key: "peakAboveIdle", label: "MiB peak", unit: "MiB", better: "lower" }],
      goals: [{ metric: "peakAboveIdle", vs: WEBSOCKETD, max: 1.5 }],
      cases: [
        { label: WEBSOCKETD, role: "peer", spec: spec("websocketd", slowCommand, false) },
        { label: NODE_PTY, role: "peer", spec: spec("node-pty-ws", slowCommand, false) },
        ...ours(slowCommand, false, false),
      ],
    },
    {
      id: "protocol-overhead",
      title: "7. Protocol overhead",
      detail: `${sizes.readRoundTrips} sequential process/read round trips on a finished process`,
      metrics: [{ key: "roundTrips", label: "reads/s", unit: "/s", better: "higher" }],
      goals: [],
      cases: ours(["true"], false, true),
    },
    {
      id: "file-transfer",
      title: "8. File transfer",
      detail: `${mib(sizes.pipeBytes)} random binary through the SDK on one websocket: fs.openWrite, fs.openRead with 1 and 2 blocks (1 MiB) in flight, and cat FILE as process output`,
      metrics: [
        { key: "write", label: "write MiB/s", unit: "MiB/s", better: "higher" },
        { key: "read1", label: "read MiB/s", unit: "MiB/s", better: "higher" },
        { key: "read2", label: "read 2-way MiB/s", unit: "MiB/s", better: "higher" },
        { key: "cat", label: "cat MiB/s", unit: "MiB/s", better: "higher" },
      ],
      goals: [],
      cases: [{ label: "exec-server ws SDK", role: "ours", spec: spec("exec-server-ws", pipeCommand, false), checked: true }],
    },
    {
      id: "page-echo",
      title: "9. Keystroke echo in the web page",
      detail: `${sizes.echoCount} keys into the --web page in Chromium (xterm.js input until the echo is rendered), beside the SDK from Bun (write until the output event); cat in a PTY`,
      metrics: [
        { key: "p50", label: "p50 ms", unit: "ms", better: "lower" },
        { key: "p99", label: "p99 ms", unit: "ms", better: "lower" },
      ],
      goals: [],
      cases: [
        { label: "exec-server web page (Chromium)", role: "ours", spec: spec("exec-server-web", ["cat"], true) },
        { label: "exec-server SDK (Bun)", role: "ours", spec: spec("exec-server-sdk", ["cat"], true) },
      ],
    },
  ];
}
