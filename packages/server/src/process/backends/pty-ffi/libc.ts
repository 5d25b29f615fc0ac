import { dlopen, FFIType, read as readMemory } from "bun:ffi";

/**
 * The few libc calls the ffi PTY backend needs. Loaded separately by the main
 * thread and by the reader worker: errno is per thread, so each reads its own.
 * Constants are the Linux generic ABI values (x86_64 and aarch64 agree).
 */
const lib = dlopen("libc.so.6", {
  read: { args: ["i32", "ptr", "u64"], returns: FFIType.i64_fast },
  write: { args: ["i32", "ptr", "u64"], returns: FFIType.i64_fast },
  close: { args: ["i32"], returns: "i32" },
  poll: { args: ["ptr", "u64", "i32"], returns: "i32" },
  eventfd: { args: ["u32", "i32"], returns: "i32" },
  // Variadic in C; the third argument is passed as on a fixed-arity call.
  fcntl: { args: ["i32", "i32", "i32"], returns: "i32" },
  ioctl: { args: ["i32", "u64", "ptr"], returns: "i32" },
  __errno_location: { args: [], returns: "ptr" },
});

const { symbols } = lib;

/** read(2)/write(2) results fit a double: no bigint on the hot path. */
export const libc = {
  ...symbols,
  read: (fd: number, buffer: NodeJS.TypedArray, length: number): number => Number(symbols.read(fd, buffer, length)),
  write: (fd: number, buffer: NodeJS.TypedArray, length: number): number => Number(symbols.write(fd, buffer, length)),
};

export const EINTR = 4;
export const EIO = 5;
export const EAGAIN = 11;

export const POLLIN = 0x1;
export const POLLOUT = 0x4;
export const POLLERR = 0x8;
export const POLLHUP = 0x10;
export const POLLNVAL = 0x20;

const F_SETFD = 2;
const F_GETFL = 3;
const F_SETFL = 4;
const FD_CLOEXEC = 1;
const O_NONBLOCK = 0o4000;
const EFD_CLOEXEC = 0o2000000;
const EFD_NONBLOCK = 0o4000;
const TIOCSWINSZ = 0x5414;

/** errno of the calling thread; read it right after the failing call. */
export function errno(): number {
  return readMemory.i32(libc.__errno_location()!, 0);
}

/** An Error with the errno's symbolic code, like Node's system errors. */
export function errnoError(call: string, code = errno()): NodeJS.ErrnoException {
  const name = ERRNO_NAMES[code] ?? `E${code}`;
  const error: NodeJS.ErrnoException = new Error(`${call} failed: ${name}`);
  error.code = name;
  error.errno = code;
  error.syscall = call;
  return error;
}

const ERRNO_NAMES: Record<number, string> = {
  1: "EPERM", 2: "ENOENT", 4: "EINTR", 5: "EIO", 9: "EBADF", 11: "EAGAIN", 12: "ENOMEM",
  13: "EACCES", 23: "ENFILE", 24: "EMFILE", 25: "ENOTTY",
};

type OpenPty = (master: Int32Array, slave: Int32Array, name: null, termios: null, winsize: Uint16Array) => number;

let openptyFn: OpenPty | undefined;

/** glibc ≥ 2.34 has openpty in libc; older ones in libutil. */
function loadOpenpty(): OpenPty {
  for (const path of ["libc.so.6", "libutil.so.1"]) {
    try {
      const { symbols } = dlopen(path, {
        openpty: { args: ["ptr", "ptr", "ptr", "ptr", "ptr"], returns: "i32" },
      });
      return symbols.openpty as unknown as OpenPty;
    } catch {
      // Try the next library.
    }
  }
  throw new Error("openpty not found in libc.so.6 or libutil.so.1");
}

function winsize(cols: number, rows: number): Uint16Array {
  return new Uint16Array([rows, cols, 0, 0]);
}

/**
 * A new PTY pair of the given size. The master is non-blocking; both ends are
 * close-on-exec so no other child inherits them (spawn dups the slave onto 0-2).
 */
export function openPty(cols: number, rows: number): { master: number; slave: number } {
  openptyFn ??= loadOpenpty();
  const master = new Int32Array(1);
  const slave = new Int32Array(1);
  if (openptyFn(master, slave, null, null, winsize(cols, rows)) !== 0) throw errnoError("openpty");
  const fds = { master: master[0]!, slave: slave[0]! };
  const flags = libc.fcntl(fds.master, F_GETFL, 0);
  if (
    flags < 0 ||
    libc.fcntl(fds.master, F_SETFL, flags | O_NONBLOCK) !== 0 ||
    libc.fcntl(fds.master, F_SETFD, FD_CLOEXEC) !== 0 ||
    libc.fcntl(fds.slave, F_SETFD, FD_CLOEXEC) !== 0
  ) {
    const error = errnoError("fcntl");
    libc.close(fds.master);
    libc.close(fds.slave);
    throw error;
  }
  return fds;
}

export function setWindowSize(fd: number, cols: number, rows: number): void {
  if (libc.ioctl(fd, TIOCSWINSZ, winsize(cols, rows)) !== 0) throw errnoError("ioctl(TIOCSWINSZ)");
}

/** A non-blocking, close-on-exec eventfd: the worker's wake-up line. */
export function openEventFd(): number {
  const fd = libc.eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0) throw errnoError("eventfd");
  return fd;
}
