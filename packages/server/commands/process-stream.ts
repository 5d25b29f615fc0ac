import type { ExecServerClient, ProcessHandle } from "@x/exec-client";
import type { LocalTerminal } from "./local-terminal.ts";

/** The detach key, Ctrl-] (as telnet): leaves the process running in its resumable session. */
export const DETACH_KEY = 0x1d;
const CTRL_C = 0x03;
/** How long output may trail the exit (a descendant holding the PTY) before we stop waiting for it. */
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
 * Writes to our stdout or stderr and resolves once the bytes are handed on.
 * Every write of these commands goes through here, one at a time, so order is
 * kept and a slow reader of the pipe slows the process's output (through the
 * SDK's bounded buffer) instead of losing its end at our exit.
 */
export async function writeOut(stream: "stdout" | "stderr", data: Uint8Array | string): Promise<void> {
  await Bun.write(stream === "stderr" ? Bun.stderr : Bun.stdout, data);
}

/** Tells how to come back to a detached process: the exact attach command line. */
export function writeDetachedHint(url: string, sessionId: string, processId: string): Promise<void> {
  return writeOut("stderr", `\r\n[detached; to return: exec-server attach ${url} --session ${sessionId} --process ${processId}]\r\n`);
}

/**
 * Connects the local terminal to one remote process: its output to stdout
 * (stderr to stderr), once each and in seq order; keys and EOF to it. Ends at
 * the process's exit (after its output), at the detach key, when a write to
 * it fails, or when the connection is lost for good.
 */
export async function streamProcess(options: StreamOptions): Promise<StreamEnd> {
  const { client, handle, terminal, tty } = options;
  let resolveEnd!: (end: StreamEnd) => void;
  const ended = new Promise<StreamEnd>((resolve) => (resolveEnd = resolve));
  let finished = false;
  const finish = (end: StreamEnd) => {
    if (finished) return;
    finished = true;
    resolveEnd(end);
  };
  let exitCode: number | undefined;
  const lostConnection = client.on("disconnect", (error) => finish({ kind: "lost", message: error.message }));

  let afterSeq = 0;
  let exitedBefore: number | undefined;
  if (options.snapshot) {
    const snapshot = await handle.snapshot({ serialize: handle.tty });
    if (handle.tty) await writeOut("stdout", `\x1b[H\x1b[2J\x1b[3J${snapshot.serialized ?? snapshot.terminal}`);
    else {
      await writeOut("stdout", snapshot.stdout);
      await writeOut("stderr", snapshot.stderr);
    }
    afterSeq = snapshot.seq;
    if (!snapshot.running && snapshot.exitCode !== null) exitedBefore = snapshot.exitCode;
  }

  // `output()` holds what arrived before we got here (even before the start answer),
  // pauses the connection while we are behind, and ends when the output is closed. Held
  // however long a write to our stdout blocks: a slow reader of the pipe must lose nothing.
  let drawnSeq = afterSeq;
  let cutoff = Infinity;
  let waiter: { readonly seq: number; readonly resolve: () => void } | undefined;
  const follow = (async () => {
    for await (const chunk of handle.output({ afterSeq, holdIdleMs: Number.POSITIVE_INFINITY })) {
      if (finished) return;
      await writeOut(chunk.stream === "stderr" ? "stderr" : "stdout", chunk.data);
      drawnSeq = chunk.seq;
      if (waiter && drawnSeq >= waiter.seq) waiter.resolve();
      if (drawnSeq >= cutoff) return;
    }
  })();
  follow.catch((error: Error) => finish({ kind: "lost", message: error.message }));
  const followDone = follow.then(
    () => true,
    () => true,
  );
  /** Resolves once output through `seq` is drawn, or the output ended. */
  const drawnThrough = (seq: number): Promise<unknown> =>
    drawnSeq >= seq ? Promise.resolve() : Promise.race([followDone, new Promise<void>((resolve) => (waiter = { seq, resolve }))]);

  const exit = exitedBefore === undefined ? handle.exited : Promise.resolve({ exitCode: exitedBefore });
  exit.then(
    async (status) => {
      exitCode = status.exitCode;
      // All output sent before the exit is drawn, however slow our reader is. Output can
      // trail the exit (a descendant holding the PTY): that gets CLOSE_WAIT_MS to come,
      // then what arrived is drawn and we stop. Joined after the exit, the snapshot has it all.
      await drawnThrough(handle.exitSeq ?? (exitedBefore === undefined ? handle.receivedSeq : afterSeq));
      const waitMs = exitedBefore === undefined ? CLOSE_WAIT_MS : 0;
      const closed = await Promise.race([followDone, Bun.sleep(waitMs).then(() => false)]);
      if (!closed) {
        cutoff = Math.max(afterSeq, handle.receivedSeq);
        await drawnThrough(cutoff);
      }
      finish({ kind: "exited", exitCode: status.exitCode });
    },
    (error: Error) => finish({ kind: "lost", message: error.message }),
  );

  if (tty) terminal.enterRaw();
  const stopResize =
    tty && options.input
      ? terminal.onResize(({ cols, rows }) => void handle.resize(cols, rows).catch(() => {}))
      : undefined;
  if (tty && options.input) {
    const { cols, rows } = terminal.size();
    void handle.resize(cols, rows).catch(() => {});
  }
  // One write in flight at a time, stdin paused meanwhile: a fast producer waits for the
  // process instead of piling its bytes up in our memory, and EOF goes after the last byte.
  let writing: Promise<boolean> = Promise.resolve(true);
  const send = (keys: Uint8Array) => {
    process.stdin.pause();
    writing = handle.write(keys).then(
      () => {
        if (!finished) process.stdin.resume();
        return true;
      },
      async (error: Error) => {
        // A process that exits without reading all of its input is not an error of ours.
        const exitedSoon = await Promise.race([exit.then(() => true, () => false), Bun.sleep(CLOSE_WAIT_MS).then(() => false)]);
        if (!exitedSoon) finish({ kind: "lost", message: `writing to the process: ${error.message}` });
        return false;
      },
    );
  };
  const onData = (data: Uint8Array) => {
    // Watching only, Ctrl-C has nowhere to go: it leaves, like the detach key.
    if (tty && !options.input && data.includes(CTRL_C)) return finish({ kind: "detached" });
    const detach = tty ? data.indexOf(DETACH_KEY) : -1;
    const keys = detach === -1 ? data : data.subarray(0, detach);
    if (options.input && keys.byteLength > 0) send(keys);
    if (detach !== -1) finish({ kind: "detached" });
  };
  const onEnd = () => {
    if (!options.input) return;
    void writing.then(async (ok) => {
      if (ok && !finished) await handle.closeStdin().catch(() => {});
    });
  };
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
    lostConnection.dispose();
  }
}
