// The browser entry of @x/exec-client (package.json "browser" condition):
// everything but what needs Bun or Node (spawning a local server, the daemon in-process).
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
export type { OutboundMessage, Transport, TransportReceiver } from "@x/exec-protocol";
export type { Subscription } from "./emitter.ts";
export {
  ClientErrorCode,
  ConnectionClosedError,
  ExecServerError,
  ExecTimeoutError,
  SpawnFailedError,
  LimitExceededError,
  type ExecServerErrorOptions,
} from "./errors.ts";
export { AttachedProcessHandle, type AttachMode } from "./process/attached-process-handle.ts";
export type { WindowOptions } from "./process/exec-window.ts";
export type { DecodedOutputChunk } from "@x/exec-protocol";
export { ProcessHandle, type ExecWindow, type ProcessExecOptions } from "./process/process-handle.ts";
export type { ExitStatus } from "./process/process-state.ts";
export type { RunResult } from "./process/run.ts";
export {
  FsClient,
  type DirectoryEntry,
  type ReadFileOptions,
  type WriteFileOptions,
} from "./fs/fs-client.ts";
export { FsWatch } from "./fs/fs-watch.ts";
export type { OpenReadOptions, OpenWriteOptions } from "./fs/block-streams.ts";
export type { RemoteFetchInit } from "./http/fetch.ts";
