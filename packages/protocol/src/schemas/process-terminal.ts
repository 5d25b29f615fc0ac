import Type from "typebox";
import { Base64, ExitCode, ProcessId, TerminalDimension, SessionRef } from "./common.ts";

export const ResizeParams = Type.Object({ processId: ProcessId, sessionId: SessionRef, cols: TerminalDimension, rows: TerminalDimension });
export type ResizeParams = Type.Static<typeof ResizeParams>;

export const SnapshotParams = Type.Object({
  processId: ProcessId,
  sessionId: SessionRef,
  scrollback: Type.Optional(
    Type.Integer({ minimum: 0, maximum: 100_000, description: "Also return up to this many lines above the screen." }),
  ),
  serialize: Type.Optional(Type.Boolean({ description: "Also return ANSI text that redraws the screen." })),
});
export type SnapshotParams = Type.Static<typeof SnapshotParams>;

export const Screen = Type.Object({
  cols: Type.Integer(),
  rows: Type.Integer(),
  cursor: Type.Object({ x: Type.Integer({ minimum: 0 }), y: Type.Integer({ minimum: 0 }) }),
  altScreen: Type.Boolean(),
  lines: Type.Array(Type.String(), { description: "The visible rows, trailing blanks trimmed." }),
  scrollback: Type.Optional(Type.Array(Type.String(), { description: "Lines above the screen, oldest first." })),
});
export type Screen = Type.Static<typeof Screen>;

export const SnapshotResult = Type.Object({
  stdout: Base64,
  stderr: Base64,
  terminal: Base64,
  truncated: Type.Boolean({ description: "Some output is not in stdout/stderr/terminal (dropped from retention or cut from the middle)." }),
  omittedBytes: Type.Integer({ minimum: 0 }),
  exitCode: Type.Union([ExitCode, Type.Null()]),
  running: Type.Boolean(),
  seq: Type.Integer({
    minimum: 0,
    description: "Last output seq reflected in this snapshot: continue streaming from seq + 1 with no gap or overlap.",
  }),
  screen: Type.Optional(Screen),
  serialized: Type.Optional(Type.String()),
});
export type SnapshotResult = Type.Static<typeof SnapshotResult>;
