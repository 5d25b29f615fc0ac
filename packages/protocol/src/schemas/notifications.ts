import Type from "typebox";
import { Base64, ExitCode, ExitSignal, OutputStream, ProcessId, Seq } from "./common.ts";

/** Present on notifications for a process attached from another session (process/attach). */
const AttachedSessionId = Type.Optional(Type.String({ description: "The owning session, for attached processes." }));

export const OutputNotification = Type.Object({
  processId: ProcessId,
  stream: OutputStream,
  chunk: Base64,
  seq: Type.Optional(Seq),
  sessionId: AttachedSessionId,
});
export type OutputNotification = Type.Static<typeof OutputNotification>;

export const ExitedNotification = Type.Object({
  processId: ProcessId,
  exitCode: ExitCode,
  signal: Type.Optional(ExitSignal),
  seq: Type.Optional(Type.Integer({ minimum: 0, description: "Seq of the last output chunk sent before exit." })),
  sessionId: AttachedSessionId,
});
export type ExitedNotification = Type.Static<typeof ExitedNotification>;

export const ClosedNotification = Type.Object({
  processId: ProcessId,
  seq: Type.Integer({ minimum: 0, description: "Seq of the last output chunk: no more will come." }),
  sessionId: AttachedSessionId,
});
export type ClosedNotification = Type.Static<typeof ClosedNotification>;

export const OutputSkippedNotification = Type.Object({
  processId: ProcessId,
  fromSeq: Seq,
  toSeq: Seq,
  sessionId: AttachedSessionId,
}, { description: "Chunks fromSeq..toSeq were dropped from retention before this connection could be sent them." });
export type OutputSkippedNotification = Type.Static<typeof OutputSkippedNotification>;
