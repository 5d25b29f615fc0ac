import Type from "typebox";
import { ProcessId, TerminalDimension } from "./common.ts";

export const StartParams = Type.Object({
  processId: ProcessId,
  argv: Type.Array(Type.String(), { description: "Command vector; must not be empty." }),
  cwd: Type.String({ description: "An existing directory: absolute path or `file:` URI." }),
  env: Type.Record(Type.String(), Type.String(), {
    description: "The child's whole environment: nothing is inherited from the server.",
  }),
  tty: Type.Boolean({ description: "true: PTY-backed; false: pipes." }),
  arg0: Type.Optional(
    Type.Union([Type.String(), Type.Null()], { description: "Overrides argv[0] as the child sees it." }),
  ),
  cols: Type.Optional(TerminalDimension),
  rows: Type.Optional(TerminalDimension),
  pipeStdin: Type.Optional(
    Type.Boolean({ description: "Keep a pipe process's stdin open for process/write (default false)." }),
  ),
});
export type StartParams = Type.Static<typeof StartParams>;

export const StartResult = Type.Object({
  processId: ProcessId,
  pid: Type.Optional(Type.Integer({ description: "OS process id of the child." })),
});
export type StartResult = Type.Static<typeof StartResult>;
