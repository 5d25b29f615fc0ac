import Type from "typebox";

/** Standard base64 (RFC 4648 §4) with padding; raw bytes on the wire. */
export const Base64 = Type.String({
  // Linear-time on purpose: a grouped pattern stalled the daemon for seconds on a few MiB.
  // Length must also be a multiple of 4, checked where chunks are decoded.
  pattern: "^[A-Za-z0-9+/]*={0,2}$",
  contentEncoding: "base64",
  description: "Raw bytes, base64-encoded.",
});

export const ProcessId = Type.String({
  minLength: 1,
  description: "Client-chosen process handle, unique per connection. Not an OS pid.",
});

export const OutputStream = Type.Enum(["stdout", "stderr", "pty"], { description: "`pty` for terminal processes, whose stdout and stderr are one stream." },
);
export type OutputStream = Type.Static<typeof OutputStream>;

export const Seq = Type.Integer({
  minimum: 0,
  description: "Output sequence number: 1 for the first chunk, +1 per chunk.",
});

export const SIGNAL_NAMES = [
  "SIGINT",
  "SIGTERM",
  "SIGHUP",
  "SIGQUIT",
  "SIGKILL",
  "SIGUSR1",
  "SIGUSR2",
  "SIGCONT",
  "SIGSTOP",
  "SIGWINCH",
] as const;

export const SignalName = Type.Enum(SIGNAL_NAMES, {
  description: "A signal a client may send to a process group.",
});
export type SignalName = Type.Static<typeof SignalName>;

export const ExitCode = Type.Integer({
  description: "The exit status, or 128 + signal number when a signal ended the process.",
});

export const ExitSignal = Type.Union([Type.String(), Type.Null()], {
  description: "The name of the signal that ended the process (e.g. `SIGKILL`), else null.",
});

/** How a process ended, as every message that reports an exit carries it. Not a wire message of its own. */
export const ExitStatus = Type.Object({ exitCode: ExitCode, signal: ExitSignal });
export type ExitStatus = Type.Static<typeof ExitStatus>;

/** Bounded so one request cannot make the screen model allocate gigabytes (cols × rows × scrollback cells). */
export const TerminalDimension = Type.Integer({ minimum: 1, maximum: 1000, description: "Terminal columns or rows." });

/** Addresses a process of another session that this connection attached to (process/attach). */
export const SessionRef = Type.Optional(
  Type.String({ description: "The owning session of an attached process; omitted for this connection's own." }),
);
