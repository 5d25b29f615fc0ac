// The browser entry of @x/exec-client (package.json "browser" condition):
// everything but what needs Bun or Node (spawning a local server).
export {
  ExecServerClient,
  type AttachOptions,
  type ClientOptions,
  type ExecOptions,
  type RunOptions,
  type StartOptions,
  type StdioConnectOptions,
  type WebSocketConnectOptions,
} from "./client.ts";
export type { ClientEventName, ClientEvents } from "./client-events.ts";
export type { ResumeOptions } from "./connection/resume-policy.ts";
export type { ConnectionState, ReconnectInfo } from "./connection/session-link.ts";
export type { ByteReadable, ByteWritable } from "./connection/stdio-transport.ts";
export type { OutboundMessage, Transport, TransportReceiver } from "./connection/transport.ts";
export { PauseGate } from "./connection/pause-gate.ts";
export type { Subscription } from "./emitter.ts";
export {
  ClientErrorCode,
  ConnectionClosedError,
  ExecServerError,
  ExecTimeoutError,
  SpawnFailedError,
  type ExecServerErrorOptions,
} from "./errors.ts";
export { AttachedProcessHandle, type AttachMode } from "./process/attached-process-handle.ts";
export type { ExecWindow, WindowOptions } from "./process/exec-window.ts";
export type { OutputChunk } from "./process/output-log.ts";
export { ProcessHandle, type ProcessExecOptions } from "./process/process-handle.ts";
export type { ExitStatus } from "./process/process-state.ts";
export type { RunResult } from "./process/run.ts";
