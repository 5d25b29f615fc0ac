import { constants } from "node:fs";
import { ErrorCode, RpcError } from "@x/exec-protocol";

/** What `data` carries for an operating system error. */
export interface OsErrorData {
  readonly code: string;
  readonly errno?: number;
  readonly path?: string;
  readonly syscall?: string;
}

const EXPLANATIONS: Record<string, string> = {
  ENOENT: "no such file or directory",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EISDIR: "is a directory",
  ENOTDIR: "not a directory",
  ENOTEMPTY: "directory not empty",
  EEXIST: "already exists",
  ELOOP: "too many levels of symbolic links",
  ENAMETOOLONG: "name too long",
  EXDEV: "cross-device link",
  ENOSPC: "no space left on device",
  EROFS: "read-only file system",
  EBUSY: "resource busy",
  EMFILE: "too many open files",
  EINVAL: "invalid argument",
};

/**
 * Turns an error from node:fs into the RpcError the client hears: -32040 with
 * the OS code in `data`, or the error itself when it already is one.
 * `path` is the client's spelling, so the server's layout does not leak beyond it.
 */
export function toRpcError(error: unknown, path?: string): RpcError {
  if (error instanceof RpcError) return error;
  const err = error as NodeJS.ErrnoException;
  if (typeof err?.code !== "string") return RpcError.internal((error as Error)?.message ?? String(error));
  const explanation = EXPLANATIONS[err.code] ?? err.message;
  const syscall = err.syscall;
  const data: OsErrorData = {
    code: err.code,
    ...(typeof err.errno === "number" && { errno: Math.abs(err.errno) }),
    ...(path !== undefined && { path }),
    ...(syscall !== undefined && { syscall }),
  };
  const where = path === undefined ? "" : ` ${path}`;
  return new RpcError(ErrorCode.OsError, `${err.code}: ${explanation}${syscall ? ` (${syscall}${where})` : where}`, data);
}

/** Runs an fs call, translating its errors. */
export async function osCall<T>(path: string | undefined, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toRpcError(error, path);
  }
}

const ERRNO: Record<string, number> = { EEXIST: 17, EISDIR: 21, EINVAL: 22, ELOOP: 40 };

/** An OS-style error the server detects itself (e.g. EISDIR before reading a directory). */
export function osError(code: keyof typeof ERRNO, path: string, syscall: string, detail?: string): RpcError {
  return new RpcError(
    ErrorCode.OsError,
    `${code}: ${detail ?? EXPLANATIONS[code]} (${syscall} ${path})`,
    { code, errno: ERRNO[code], path, syscall } satisfies OsErrorData,
  );
}

/**
 * open(2) flags for writing without truncating: the descriptor is checked
 * against --fs-root first (a swapped directory could point it anywhere), and
 * only then truncated, so a lost race can at worst create an empty file, never
 * empty an existing one.
 */
export const WRITE_NO_TRUNC = constants.O_WRONLY | constants.O_CREAT;
export const WRITE_EXCLUSIVE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;
