import {
  FsChangedNotification,
  FsCanonicalizeResult,
  FsCloseParams,
  FsCopyParams,
  FsCreateDirectoryParams,
  FsEmptyResult,
  FsMetadata,
  FsOpenParams,
  FsOpenResult,
  FsPathParams,
  FsReadBlockParams,
  FsReadBlockResult,
  FsReadDirectoryResult,
  FsReadFileParams,
  FsReadFileResult,
  FsRemoveParams,
  FsRenameParams,
  FsUnwatchParams,
  FsWalkParams,
  FsWalkResult,
  FsWatchParams,
  FsWriteBlockParams,
  FsWriteFileParams,
} from "./schemas/fs.ts";
import { EnvironmentInfoParams, EnvironmentInfoResult } from "./schemas/environment.ts";
import { HttpBodyDeltaNotification, HttpRequestParams, HttpRequestResult } from "./schemas/http.ts";
import { method } from "./method-spec.ts";

/**
 * The methods about the machine rather than its processes (files, environment,
 * HTTP), names and shapes as upstream codex has them. Kept apart so the server
 * can route them to their own handler.
 */
export const MachineMethods = {
  "fs/readFile": method(FsReadFileParams, FsReadFileResult),
  "fs/writeFile": method(FsWriteFileParams, FsEmptyResult),
  "fs/createDirectory": method(FsCreateDirectoryParams, FsEmptyResult),
  "fs/getMetadata": method(FsPathParams, FsMetadata),
  "fs/canonicalize": method(FsPathParams, FsCanonicalizeResult),
  "fs/readDirectory": method(FsPathParams, FsReadDirectoryResult),
  "fs/remove": method(FsRemoveParams, FsEmptyResult),
  "fs/copy": method(FsCopyParams, FsEmptyResult),
  "fs/rename": method(FsRenameParams, FsEmptyResult),
  "fs/open": method(FsOpenParams, FsOpenResult),
  "fs/readBlock": method(FsReadBlockParams, FsReadBlockResult),
  "fs/writeBlock": method(FsWriteBlockParams, FsEmptyResult),
  "fs/close": method(FsCloseParams, FsEmptyResult),
  "fs/walk": method(FsWalkParams, FsWalkResult),
  "fs/watch": method(FsWatchParams, FsEmptyResult),
  "fs/unwatch": method(FsUnwatchParams, FsEmptyResult),
  "environment/info": method(EnvironmentInfoParams, EnvironmentInfoResult),
  "http/request": method(HttpRequestParams, HttpRequestResult),
} as const;

export const MachineNotifications = {
  "fs/changed": FsChangedNotification,
  "http/request/bodyDelta": HttpBodyDeltaNotification,
} as const;

export type MachineMethodName = keyof typeof MachineMethods;

export function isMachineMethod(name: string): name is MachineMethodName {
  return Object.hasOwn(MachineMethods, name);
}
