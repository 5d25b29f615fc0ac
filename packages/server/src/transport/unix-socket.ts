import { lstatSync, unlinkSync } from "node:fs";
import { connect } from "node:net";

/**
 * Prepares `path` for a listening unix socket: a stale socket file left by a
 * daemon that died is removed; one a live daemon still answers on, or any
 * other kind of file, is an error (never deleted).
 */
export async function claimSocketPath(path: string): Promise<void> {
  let stat;
  try {
    stat = lstatSync(path);
  } catch {
    return; // nothing there
  }
  if (!stat.isSocket()) throw new Error(`${path} exists and is not a socket`);
  if (await answers(path)) throw new Error(`${path} is in use by another server`);
  unlinkSync(path);
}

/**
 * Runs `listen` with the process umask at 0177, so the socket file is created
 * mode 0600 (owner only) with no window in which others could connect: on a
 * multi-user host the file mode is the access control.
 */
export function withOwnerOnlyUmask<T>(listen: () => T): T {
  const previous = process.umask(0o177);
  try {
    return listen();
  } finally {
    process.umask(previous);
  }
}

/** Removes the socket file at shutdown; already gone is fine. */
export function removeSocketFile(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // removed already
  }
}

function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
