import Type from "typebox";

export const InitializeParams = Type.Object({
  clientName: Type.String({ description: "Free-form name of the client, for logs." }),
  resumable: Type.Optional(
    Type.Boolean({
      description:
        "Websocket only: when this connection drops, keep its session (processes running, output retained) for the detached-session TTL instead of killing it.",
    }),
  ),
  resumeSessionId: Type.Optional(
    Type.String({ description: "Re-attach to a detached session; its processes become this connection's again." }),
  ),
  binaryOutput: Type.Optional(
    Type.Boolean({
      description:
        "Websocket only: send process/output as binary frames of raw bytes (see output-frame.ts) instead of base64 in JSON.",
    }),
  ),
  resumeFrom: Type.Optional(
    Type.Record(Type.String(), Type.Integer({ minimum: 0 }), {
      description:
        "With resumeSessionId: the last output seq seen per processId. Live output restarts after it, so nothing in flight at the drop is lost while it is retained.",
    }),
  ),
});
export type InitializeParams = Type.Static<typeof InitializeParams>;

export const InitializeResult = Type.Object({
  protocolVersion: Type.String(),
  sessionId: Type.Optional(Type.String({ description: "This connection's session: resume it or attach to its processes." })),
  resumed: Type.Optional(Type.Boolean()),
  binaryOutput: Type.Optional(Type.Boolean({ description: "true when process/output will come as binary frames." })),
});
export type InitializeResult = Type.Static<typeof InitializeResult>;

/** Params of the `initialized` notification: ignored, as in v0. */
export const InitializedParams = Type.Unknown();
