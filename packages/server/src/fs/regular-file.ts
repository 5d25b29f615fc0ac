import { constants, type Stats } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { osCall, osError, toRpcError } from "./os-error.ts";

/**
 * Opens a file for fs/readFile, fs/writeFile or fs/open without ever blocking: a FIFO
 * opened the ordinary way waits for its other end inside Bun's small file thread pool,
 * which stalls every fs call and process/start of every connection. With O_NONBLOCK the
 * open returns at once (a FIFO with no reader refuses a writer with ENXIO, as does a
 * socket), and `regularStats` then turns away whatever is not a regular file.
 */
export async function openNonBlocking(path: string, flags: number, shown: string, mode?: number): Promise<FileHandle> {
  try {
    return await open(path, flags | constants.O_NONBLOCK, mode);
  } catch (error) {
    if ((error as NodeJS.ErrnoException)?.code === "ENXIO") throw notRegular(shown, "open");
    throw toRpcError(error, shown);
  }
}

/** The file's stats when it is a regular file; EISDIR for a directory, EINVAL for anything else. */
export async function regularStats(file: FileHandle, shown: string, syscall: string): Promise<Stats> {
  const info = await osCall(shown, () => file.stat());
  if (info.isDirectory()) throw osError("EISDIR", shown, syscall);
  if (!info.isFile()) throw notRegular(shown, syscall);
  return info;
}

function notRegular(shown: string, syscall: string) {
  return osError("EINVAL", shown, syscall, "not a regular file (a FIFO, socket or device cannot be read or written whole)");
}
