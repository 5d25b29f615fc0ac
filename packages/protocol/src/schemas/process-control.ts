import Type from "typebox";
import { ExitCode, ExitSignal, ProcessId, Seq, SignalName, SessionRef } from "./common.ts";

export const EmptyResult = Type.Object({});
export type EmptyResult = Type.Static<typeof EmptyResult>;

export const CloseStdinParams = Type.Object({ processId: ProcessId, sessionId: SessionRef });
export type CloseStdinParams = Type.Static<typeof CloseStdinParams>;

export const SignalParams = Type.Object({
  processId: ProcessId,
  sessionId: SessionRef,
  signal: Type.Union([SignalName, Type.Literal("interrupt", { description: "Upstream's name for SIGINT." })]),
});
export type SignalParams = Type.Static<typeof SignalParams>;

const Milliseconds = Type.Integer({ minimum: 0, maximum: 3_600_000 });

export const WaitCondition = Type.Object({
  exit: Type.Optional(Type.Boolean({ description: "Return when the process has exited (the default condition)." })),
  idleMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 3_600_000, description: "Return after this long without output." })),
  pattern: Type.Optional(
    Type.String({ maxLength: 4096, description: "A JavaScript regular expression matched against the output text." }),
  ),
});
export type WaitCondition = Type.Static<typeof WaitCondition>;

export const WaitParams = Type.Object({
  processId: ProcessId,
  sessionId: SessionRef,
  timeoutMs: Milliseconds,
  afterSeq: Type.Optional(Type.Integer({ minimum: 0, description: "Match output after this seq (default: output after the call)." })),
  until: Type.Optional(WaitCondition),
});
export type WaitParams = Type.Static<typeof WaitParams>;

export const WaitResult = Type.Object({
  exited: Type.Boolean(),
  exitCode: Type.Union([ExitCode, Type.Null()]),
  signal: ExitSignal,
  seq: Type.Integer({ minimum: 0, description: "Seq of the last output chunk seen (with `matched`: the chunk that completed the match)." }),
  matched: Type.Boolean(),
  idle: Type.Boolean(),
  timedOut: Type.Boolean(),
});
export type WaitResult = Type.Static<typeof WaitResult>;

export const ListParams = Type.Object({});
export type ListParams = Type.Static<typeof ListParams>;

export const ProcessInfo = Type.Object({
  processId: ProcessId,
  pid: Type.Integer(),
  argv: Type.Array(Type.String()),
  tty: Type.Boolean(),
  running: Type.Boolean(),
  exitCode: Type.Union([ExitCode, Type.Null()]),
  signal: ExitSignal,
  startedAt: Type.Integer({ description: "Milliseconds since the Unix epoch." }),
  exitedAt: Type.Union([Type.Integer(), Type.Null()]),
  nextSeq: Seq,
});
export type ProcessInfo = Type.Static<typeof ProcessInfo>;

export const ListResult = Type.Object({ processes: Type.Array(ProcessInfo) });
export type ListResult = Type.Static<typeof ListResult>;

export const AttachParams = Type.Object({
  sessionId: Type.String({ description: "The session that owns the process." }),
  processId: ProcessId,
  mode: Type.Enum(["read", "write"], {
    description: "`read`: stream its output. `write`: also write, resize, signal, close stdin and terminate.",
  }),
  afterSeq: Type.Optional(Type.Integer({ minimum: 0, description: "Replay retained output after this seq first (default 0)." })),
});
export type AttachParams = Type.Static<typeof AttachParams>;

export const AttachResult = Type.Object({
  sessionId: Type.String(),
  processId: ProcessId,
  tty: Type.Boolean(),
  running: Type.Boolean(),
  nextSeq: Seq,
});
export type AttachResult = Type.Static<typeof AttachResult>;

export const DetachParams = Type.Object({ sessionId: Type.String(), processId: ProcessId });
export type DetachParams = Type.Static<typeof DetachParams>;
