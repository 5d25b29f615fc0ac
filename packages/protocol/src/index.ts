export { PROTOCOL_VERSION } from "./version.ts";
export { ErrorCode } from "./error-codes.ts";
export { RpcError } from "./rpc-error.ts";
export * from "./jsonrpc.ts";
export * from "./schemas/common.ts";
export * from "./schemas/initialize.ts";
export * from "./schemas/process-start.ts";
export * from "./schemas/process-io.ts";
export * from "./schemas/process-control.ts";
export * from "./schemas/process-terminal.ts";
export * from "./schemas/notifications.ts";
export * from "./methods.ts";
export { method, type MethodSpec } from "./method-spec.ts";
export * from "./schemas/fs.ts";
export * from "./schemas/environment.ts";
export * from "./schemas/http.ts";
export { MachineMethods, MachineNotifications, isMachineMethod, type MachineMethodName } from "./machine-methods.ts";
export { parseParams, describeErrors } from "./validators.ts";
export { protocolJsonSchema } from "./json-schema.ts";
export { encodeBase64, decodeBase64 } from "#base64";
export { parseMessage } from "./parse-message.ts";
export { decodeBase64Param } from "./base64-param.ts";
export { encodeOutputFrame, decodeOutputFrame, type OutputFrame } from "./output-frame.ts";
export {
  WEBSOCKET_SUBPROTOCOL,
  TICKET_SUBPROTOCOL_PREFIX,
  BEARER_SUBPROTOCOL_PREFIX,
  bearerSubprotocol,
} from "./websocket-auth.ts";
export * from "./transport/index.ts";
export * from "./shared/index.ts";
