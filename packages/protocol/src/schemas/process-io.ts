import Type from "typebox";
import { Base64, ExitCode, ExitSignal, OutputStream, ProcessId, Seq, SessionRef } from "./common.ts";

export const ReadParams = Type.Object({
  processId: ProcessId,
  sessionId: SessionRef,
  afterSeq: Type.Optional(Type.Union([Seq, Type.Null()], { description: "Exclusive; 0 reads from the start." })),
  maxBytes: Type.Optional(
    Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
      description: "Soft cap on returned bytes; at least one chunk is returned when one is available.",
    }),
  ),
  waitMs: Type.Optional(
    Type.Union([Type.Integer({ minimum: 0, maximum: 3_600_000 }), Type.Null()], {
      description: "When nothing is available, wait up to this long for output or exit.",
    }),
  ),
});
export type ReadParams = Type.Static<typeof ReadParams>;

export const OutputChunk = Type.Object({
  seq: Seq,
  stream: OutputStream,
  chunk: Base64,
});
export type OutputChunk = Type.Static<typeof OutputChunk>;

/** An OutputChunk with its bytes decoded from base64: how both ends hold output in memory. */
export type DecodedOutputChunk = Omit<OutputChunk, "chunk"> & { readonly data: Uint8Array };

export const ReadResult = Type.Object({
  chunks: Type.Array(OutputChunk),
  nextSeq: Seq,
  exited: Type.Boolean(),
  exitCode: Type.Union([ExitCode, Type.Null()]),
  signal: Type.Optional(ExitSignal),
  closed: Type.Optional(Type.Boolean({ description: "Every output stream has reached end of file." })),
  firstSeq: Type.Optional(Type.Integer({ minimum: 0, description: "Oldest seq still retained." })),
  droppedBytes: Type.Optional(Type.Integer({ minimum: 0, description: "Bytes dropped from retention so far (oldest first)." })),
});
export type ReadResult = Type.Static<typeof ReadResult>;

export const WriteParams = Type.Object({
  processId: ProcessId,
  sessionId: SessionRef,
  chunk: Base64,
  writeId: Type.Optional(
    Type.String({ maxLength: 256, description: "Idempotency key: a retried writeId is acknowledged without writing twice." }),
  ),
});
export type WriteParams = Type.Static<typeof WriteParams>;

/** Upstream's write outcomes; here only `accepted` is an answer, the others come as errors with `data.status`. */
export const WriteStatus = Type.Enum(["accepted", "unknownProcess", "stdinClosed", "starting"]);
export type WriteStatus = Type.Static<typeof WriteStatus>;

export const WriteResult = Type.Object({ accepted: Type.Boolean(), status: Type.Optional(WriteStatus) });
export type WriteResult = Type.Static<typeof WriteResult>;

export const TerminateParams = Type.Object({
  processId: ProcessId,
  sessionId: SessionRef,
  graceMs: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: 3_600_000,
      description: "SIGTERM (PTY: SIGHUP) to the group first, SIGKILL after this long. Omitted: SIGKILL at once.",
    }),
  ),
});
export type TerminateParams = Type.Static<typeof TerminateParams>;

export const TerminateResult = Type.Object({
  running: Type.Boolean({ description: "Whether the process was running when the call arrived." }),
});
export type TerminateResult = Type.Static<typeof TerminateResult>;
