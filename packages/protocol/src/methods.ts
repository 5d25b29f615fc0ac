import type Type from "typebox";
import { InitializeParams, InitializeResult, InitializedParams } from "./schemas/initialize.ts";
import { StartParams, StartResult } from "./schemas/process-start.ts";
import {
  ReadParams,
  ReadResult,
  TerminateParams,
  TerminateResult,
  WriteParams,
  WriteResult,
} from "./schemas/process-io.ts";
import {
  AttachParams,
  AttachResult,
  CloseStdinParams,
  DetachParams,
  EmptyResult,
  ListParams,
  ListResult,
  SignalParams,
  WaitParams,
  WaitResult,
} from "./schemas/process-control.ts";
import { ResizeParams, SnapshotParams, SnapshotResult } from "./schemas/process-terminal.ts";
import { MachineMethods, MachineNotifications } from "./machine-methods.ts";
import { method } from "./method-spec.ts";
import {
  ClosedNotification,
  ExitedNotification,
  OutputNotification,
  OutputSkippedNotification,
} from "./schemas/notifications.ts";

/** Client → server requests. */
export const Methods = {
  initialize: method(InitializeParams, InitializeResult, true),
  "process/start": method(StartParams, StartResult),
  "process/read": method(ReadParams, ReadResult),
  "process/write": method(WriteParams, WriteResult),
  "process/terminate": method(TerminateParams, TerminateResult),
  "process/closeStdin": method(CloseStdinParams, EmptyResult),
  "process/signal": method(SignalParams, EmptyResult),
  "process/wait": method(WaitParams, WaitResult),
  "process/list": method(ListParams, ListResult),
  "process/resize": method(ResizeParams, EmptyResult),
  "process/snapshot": method(SnapshotParams, SnapshotResult),
  "process/attach": method(AttachParams, AttachResult),
  "process/detach": method(DetachParams, EmptyResult),
  ...MachineMethods,
} as const;

/** Client → server notifications. */
export const ClientNotifications = {
  initialized: InitializedParams,
} as const;

/** Server → client notifications. */
export const ServerNotifications = {
  "process/output": OutputNotification,
  "process/exited": ExitedNotification,
  "process/closed": ClosedNotification,
  "process/outputSkipped": OutputSkippedNotification,
  ...MachineNotifications,
} as const;

export type MethodName = keyof typeof Methods;
export type ServerNotificationName = keyof typeof ServerNotifications;
export type ParamsOf<M extends MethodName> = Type.Static<(typeof Methods)[M]["params"]>;
export type ResultOf<M extends MethodName> = Type.Static<(typeof Methods)[M]["result"]>;
export type NotificationParamsOf<N extends ServerNotificationName> = Type.Static<(typeof ServerNotifications)[N]>;

/** A server notification as a tagged union, convenient for switch statements. */
export type ServerNotification = {
  [N in ServerNotificationName]: { method: N; params: NotificationParamsOf<N> };
}[ServerNotificationName];

export function isMethodName(name: string): name is MethodName {
  return Object.hasOwn(Methods, name);
}
