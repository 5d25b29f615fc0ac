/** How a workload reaches processes: in-process, through exec-server, or through a peer. */
export type TargetKind =
  | "in-process"
  | "exec-server-ws"
  | "exec-server-stdio"
  | "exec-server-sdk"
  | "node-pty-ws"
  | "websocketd"
  | "terminado"
  | "kernel-devnull"
  | "kernel-pipe"
  /** The `--web` page in Chromium, and the SDK from Bun (workload page-echo only). */
  | "exec-server-web"
  | "exec-server-sdk";

export interface TargetSpec {
  readonly kind: TargetKind;
  /** What every run starts; servers that run one fixed command are started with it. */
  readonly command: string[];
  readonly tty: boolean;
  /** exec-server's PTY backend; passed as --pty-backend unless "native". */
  readonly ptyBackend?: string;
  /** More exec-server flags, e.g. a higher --max-processes. */
  readonly daemonArgs?: readonly string[];
  /** exec-server over websocket: negotiate binary output frames in initialize. */
  readonly binaryOutput?: boolean;
}

/** A process started in a terminal, driven by hand. */
export interface Interactive {
  write(data: Uint8Array): void;
  close(): Promise<void>;
}

export interface Target {
  /** The server whose memory is measured; undefined when there is none. */
  readonly serverPid: number | undefined;
  /** Runs the command to its end and returns the output bytes received. */
  run(): Promise<number>;
  /** Starts the command in a terminal; `onData` sees every output chunk from the first. */
  interactive(onData: (chunk: Uint8Array) => void): Promise<Interactive>;
  /** Runs the command while reading at most `bytesPerSec`, stops after `durationMs`; returns bytes received. */
  runThrottled(bytesPerSec: number, durationMs: number): Promise<number>;
  close(): Promise<void>;
}

export class Unsupported extends Error {}

/** Environment given to every child, the same whichever target starts it. */
export function childEnv(): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    HOME: process.env.HOME ?? "/tmp",
    LANG: "C.UTF-8",
    TERM: "xterm-256color",
  };
}
