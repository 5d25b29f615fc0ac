import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The daemon's bin in this repository. */
export const SERVER_BIN = join(import.meta.dir, "..", "..", "server", "bin", "exec-server.ts");

/**
 * The command that runs the daemon: `EXEC_SERVER_BIN` when set (a compiled
 * binary, or a script Bun runs), else this repository's bin under Bun.
 */
export function daemonCommand(): string[] {
  const bin = process.env.EXEC_SERVER_BIN;
  if (bin === undefined || bin === "") return ["bun", SERVER_BIN];
  return /\.[cm]?[jt]s$/.test(bin) ? ["bun", bin] : [bin];
}

export type TransportKind = "stdio" | "websocket";

export interface DaemonOptions {
  readonly transport: TransportKind;
  /** The daemon command; default `daemonCommand()`. */
  readonly command?: readonly string[];
  /** Extra CLI flags (`--listen` is added for websocket). */
  readonly args?: readonly string[];
  /** Added to the daemon's environment; `undefined` values remove a variable. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly startTimeoutMs?: number;
  /** Print the daemon's stderr when it exits without `stop` (a websocket daemon, or a failing stdio one). */
  readonly reportUnexpectedExit?: boolean;
}

// Enough to quote a failure; the rest of a chatty log is dropped.
const STDERR_KEEP_BYTES = 256 * 1024;

/**
 * The real daemon binary as a child process. Its stderr is always drained (a
 * full pipe would stall it) and the tail kept for messages; for stdio the
 * caller owns stdin/stdout through a wire. Its HOME is a fresh temporary
 * directory (login shells must not run the user's rc files), removed on exit.
 */
export class DaemonProcess implements AsyncDisposable {
  /** `ws://IP:PORT` once a websocket daemon is listening. */
  url: string | undefined;
  port = 0;
  private stderrTail = "";
  private readonly stderrDone: Promise<void>;
  private stopping = false;

  private constructor(
    readonly proc: Bun.Subprocess<"pipe", "pipe", "pipe">,
    readonly transport: TransportKind,
    reportUnexpectedExit: boolean,
  ) {
    this.stderrDone = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of proc.stderr) {
        this.stderrTail += decoder.decode(chunk, { stream: true });
        if (this.stderrTail.length > STDERR_KEEP_BYTES * 2) this.stderrTail = this.stderrTail.slice(-STDERR_KEEP_BYTES);
      }
    })().catch(() => {});
    if (reportUnexpectedExit) {
      // A stdio daemon ends by design when its input does; anything else is worth seeing.
      void proc.exited.then(async (code) => {
        await this.stderrDone;
        if (!this.stopping && (transport === "websocket" || code !== 0)) {
          console.error(`exec-server daemon exited unexpectedly (code ${code}, ${proc.signalCode}):\n${this.stderrTail}`);
        }
      });
    }
  }

  static async start(options: DaemonOptions): Promise<DaemonProcess> {
    const listen = options.transport === "websocket" ? ["--listen", "ws://127.0.0.1:0"] : [];
    const home = options.env?.HOME === undefined ? mkdtempSync(join(tmpdir(), "exec-daemon-home-")) : undefined;
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries({ ...process.env, EXEC_SERVER_TOKEN: undefined, HOME: home, ...options.env })) {
      if (value !== undefined) env[key] = value;
    }
    const proc = Bun.spawn([...(options.command ?? daemonCommand()), ...listen, ...(options.args ?? [])], {
      stdin: "pipe",
      stdout: "pipe",
      stderr: "pipe",
      env,
    });
    if (home !== undefined) void proc.exited.then(() => rmSync(home, { recursive: true, force: true }));
    const daemon = new DaemonProcess(proc, options.transport, options.reportUnexpectedExit ?? false);
    if (options.transport === "websocket") {
      try {
        await daemon.waitListening(options.startTimeoutMs ?? 15_000);
      } catch (error) {
        await daemon.stop("SIGKILL");
        throw error;
      }
    }
    return daemon;
  }

  get pid(): number {
    return this.proc.pid;
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  stderr(): string {
    return this.stderrTail;
  }

  /** Resolves with the exit code once stderr is drained too. */
  async exited(): Promise<number> {
    const code = await this.proc.exited;
    await this.stderrDone;
    return code;
  }

  /** Sends `signal`, escalating to SIGKILL after `graceMs`; resolves with the exit code. */
  async stop(signal: NodeJS.Signals = "SIGTERM", graceMs = 10_000): Promise<number> {
    this.stopping = true;
    if (this.running) this.proc.kill(signal);
    const timer = setTimeout(() => this.running && this.proc.kill("SIGKILL"), graceMs);
    try {
      return await this.exited();
    } finally {
      clearTimeout(timer);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  private async waitListening(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = /exec-server listening on (ws:\/\/\S+)/.exec(this.stderrTail);
      if (match) {
        this.url = match[1]!;
        this.port = Number(new URL(this.url).port);
        return;
      }
      if (!this.running || Date.now() > deadline) {
        throw new Error(`daemon did not start listening: ${this.stderrTail.trim() || "(no output)"}`);
      }
      await Bun.sleep(10);
    }
  }
}

/** A daemon for one protocol test: `startDaemon("websocket", ["--max-processes", "20"])`. */
export function startDaemon(kind: TransportKind, extraArgs: string[] = []): Promise<DaemonProcess> {
  return DaemonProcess.start({ transport: kind, args: extraArgs, reportUnexpectedExit: true });
}

/** What protocol tests hold: a started daemon. */
export type Daemon = DaemonProcess;
