import Type from "typebox";

export const InitializeParams = Type.Object({
  clientName: Type.String({ description: "Free-form name of the client, for logs." }),
});
export type InitializeParams = Type.Static<typeof InitializeParams>;

export const InitializeResult = Type.Object({
  protocolVersion: Type.String(),
});
export type InitializeResult = Type.Static<typeof InitializeResult>;

/** Params of the `initialized` notification: ignored, as in v0. */
export const InitializedParams = Type.Unknown();
