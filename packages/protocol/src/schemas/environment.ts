import Type from "typebox";

export const EnvironmentInfoParams = Type.Object({});
export type EnvironmentInfoParams = Type.Static<typeof EnvironmentInfoParams>;

/** Names of optional methods and modes; a client checks these instead of guessing from the version. */
export const CAPABILITIES = [
  "process/resize",
  "process/snapshot",
  "process/wait",
  "process/attach",
  "process/list",
  "process/closeStdin",
  "binaryOutput",
  "sessionResume",
  "fs",
  "fs/watch",
  "fs/writeBlock",
  "fs/walk",
  "http/request",
  "http/streamResponse",
] as const;

export const EnvironmentInfoResult = Type.Object({
  shell: Type.Object({ name: Type.String(), path: Type.String() }),
  cwd: Type.Union([Type.String(), Type.Null()], { description: "The server's working directory as a `file:` URI." }),
  os: Type.String({ description: "`linux`, `darwin`, … (Node's process.platform)." }),
  arch: Type.String(),
  hostname: Type.String(),
  user: Type.String(),
  uid: Type.Integer(),
  home: Type.String(),
  tmpdir: Type.String(),
  version: Type.String({ description: "The server's version." }),
  protocolVersion: Type.String(),
  fsRoots: Type.Array(Type.String(), { description: "Trees fs methods and cwd are confined to; empty: no confinement." }),
  capabilities: Type.Array(Type.String(), { description: "Optional methods and modes this server has." }),
});
export type EnvironmentInfoResult = Type.Static<typeof EnvironmentInfoResult>;
