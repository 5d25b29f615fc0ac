import Type from "typebox";

/**
 * JSON-RPC 2.0 envelopes. exec-server.v0 peers omit the `"jsonrpc"` member and
 * never see it; a peer whose request carries `"jsonrpc": "2.0"` gets it on that
 * response and on every notification from then on. Batch arrays are answered
 * with arrays.
 */
export const RequestId = Type.Union([Type.String(), Type.Number()], {
  description: "Client-chosen request id, echoed in the response.",
});
export type RequestId = Type.Static<typeof RequestId>;

export const RpcErrorObject = Type.Object({
  code: Type.Integer(),
  message: Type.String(),
  data: Type.Optional(Type.Unknown()),
});
export type RpcErrorObject = Type.Static<typeof RpcErrorObject>;

const JsonRpcMarker = Type.Optional(Type.Literal("2.0"));

export const RequestMessage = Type.Object({
  jsonrpc: JsonRpcMarker,
  id: RequestId,
  method: Type.String(),
  params: Type.Optional(Type.Unknown()),
});
export type RequestMessage = Type.Static<typeof RequestMessage>;

export const NotificationMessage = Type.Object({
  jsonrpc: JsonRpcMarker,
  method: Type.String(),
  params: Type.Optional(Type.Unknown()),
});
export type NotificationMessage = Type.Static<typeof NotificationMessage>;

export const ResultMessage = Type.Object({
  jsonrpc: JsonRpcMarker,
  id: RequestId,
  result: Type.Unknown(),
});
export type ResultMessage = Type.Static<typeof ResultMessage>;

export const ErrorMessage = Type.Object({
  jsonrpc: JsonRpcMarker,
  id: Type.Union([RequestId, Type.Null()]),
  error: RpcErrorObject,
});
export type ErrorMessage = Type.Static<typeof ErrorMessage>;

export type ResponseMessage = ResultMessage | ErrorMessage;
export type Message = RequestMessage | NotificationMessage | ResultMessage | ErrorMessage;

/** Most messages one JSON-RPC 2.0 batch array may hold; a larger batch gets a single -32600 error. */
export const MAX_BATCH_ENTRIES = 1000;

/** Requests one connection may have unanswered at once (as upstream); the server answers more with -32001. */
export const MAX_IN_FLIGHT_REQUESTS = 1024;

/** The default bound on one message, either way (a server's `--max-message-bytes`, a stdio client's line). */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
