import type { DecodedOutputChunk, ExecServerClient, ProcessHandle } from "@x/exec-client";
import type { LocalTerminal } from "./local-terminal.ts";

/** The detach key, Ctrl-] (as telnet): leaves the process running in its resumable session. */
export const DETACH_KEY = 0x1d;
const CTRL_C = 0x03;
/** How long output may trail the exit before we stop waiting for it. */
const CLOSE_WAIT_MS = 2000;

export type StreamEnd =
  | { readonly kind: "exited"; readonly exitCode: number }
  | { readonly kind: "detached" }
  | { readonly kind: "lost"; readonly message: string };

export interface StreamOptions {
  readonly client: ExecServerClient;
  readonly handle: ProcessHandle;
  /** Set when the process belongs to another session (a shared attach). */
  readonly sessionId?: string;
  readonly terminal: LocalTerminal;
  /** Raw local terminal, the detach key, and (with `input`) size following. */
  readonly tty: boolean;
  /** Forward stdin (keys, EOF) and resizes; false for a read-only attach. */
  readonly input: boolean;
  /** Draw `process/snapshot` first (joining a running process), then what follows it. */
  readonly snapshot: boolean;
}

/**
 * Connects the local terminal to one remote process: its output to stdout
 * (stderr to stderr), once each and in seq order; keys and EOF to it. Ends at
 * the process's exit (after its output), at the detach key, or when the
 * connection is lost for good.
 */
export async function streamProcess(options: StreamOptions): Promise<StreamEnd> {
  const { client, handle, terminal, tty } = options;
  const mine = (event: { processId: string; sessionId?: string }) =>
    event.processId === handle.id && event.sessionId === options.sessionId;
  let drawnSeq = 0;
  let held: DecodedOutputChunk[] | undefined = [];
  const draw = (chunk: DecodedOutputChunk) => {
    if (chunk.seq <= drawnSeq) return;
    drawnSeq = chunk.seq;
    (chunk.stream === "stderr" ? process.stderr : process.stdout).write(chunk.data);
  };
  let finish!: (end: StreamEnd) => void;
  const ended = new Promise<StreamEnd>((resolve) => (finish = resolve));
  let exitCode: number | undefined;
  const subscriptions = [
    client.on("output", (event) => {
      if (!mine(event)) return;
      if (held) held.push(event);
      else draw(event);
    }),
    client.on("exited", (event) => {
      if (!mine(event)) return;
      exitCode = event.exitCode;
      // Output can trail the exit (a descendant holding the PTY): wait for `closed`, boundedly.
      setTimeout(() => finish({ kind: "exited", exitCode: event.exitCode }), CLOSE_WAIT_MS).unref();
    }),
    client.on("closed", (event) => {
      if (mine(event) && exitCode !== undefined) finish({ kind: "exited", exitCode });
    }),
    client.on("disconnect", (error) => finish({ kind: "lost", message: error.message })),
  ];

  let exitedBefore: number | undefined;
  if (options.snapshot) {
    const snapshot = await handle.snapshot({ serialize: handle.tty });
    if (handle.tty) process.stdout.write(`\x1b[H\x1b[2J\x1b[3J${snapshot.serialized ?? snapshot.terminal}`);
    else {
      process.stdout.write(snapshot.stdout);
      process.stderr.write(snapshot.stderr);
    }
    drawnSeq = snapshot.seq;
    if (!snapshot.running && snapshot.exitCode !== null) exitedBefore = snapshot.exitCode;
  }
  const pending = held;
  held = undefined;
  for (const chunk of pending) draw(chunk);
  if (exitedBefore !== undefined) finish({ kind: "exited", exitCode: exitedBefore });

  if (tty) terminal.enterRaw();
  const stopResize =
    tty && options.input
      ? terminal.onResize(({ cols, rows }) => void handle.resize(cols, rows).catch(() => {}))
      : undefined;
  if (tty && options.input) {
    const { cols, rows } = terminal.size();
    void handle.resize(cols, rows).catch(() => {});
  }
  const onData = (data: Uint8Array) => {
    // Watching only, Ctrl-C has nowhere to go: it leaves, like the detach key.
    if (tty && !options.input && data.includes(CTRL_C)) return finish({ kind: "detached" });
    const detach = tty ? data.indexOf(DETACH_KEY) : -1;
    const keys = detach === -1 ? data : data.subarray(0, detach);
    if (options.input && keys.byteLength > 0) void handle.write(keys).catch(() => {});
    if (detach !== -1) finish({ kind: "detached" });
  };
  const onEnd = () => void (options.input && handle.closeStdin().catch(() => {}));
  process.stdin.on("data", onData);
  process.stdin.on("end", onEnd);
  // Without a local terminal, Ctrl-C reaches us as a signal: pass it on.
  const forward = (signal: "SIGINT" | "SIGTERM" | "SIGHUP") => () => void handle.signal(signal).catch(() => {});
  const signals = options.input && !tty ? (["SIGINT", "SIGTERM", "SIGHUP"] as const) : [];
  const handlers = signals.map((signal) => [signal, forward(signal)] as const);
  for (const [signal, handler] of handlers) process.on(signal, handler);

  try {
    return await ended;
  } finally {
    for (const [signal, handler] of handlers) process.off(signal, handler);
    process.stdin.off("data", onData);
    process.stdin.off("end", onEnd);
    process.stdin.pause();
    stopResize?.();
    terminal.restore();
    // The process did not end: whatever modes it set are still on in our terminal.
    if (tty && exitCode === undefined) terminal.resetModes();
    for (const subscription of subscriptions) subscription.dispose();
  }
}

/** Resolves once what was written to stdout and stderr has been handed on. */
export async function flushOutput(): Promise<void> {
  await new Promise<void>((resolve) => process.stdout.write("", () => resolve()));
  await new Promise<void>((resolve) => process.stderr.write("", () => resolve()));
}
