import { dlopen, FFIType, ptr } from "bun:ffi";
import { fstatSync } from "node:fs";

const SOL_SOCKET = 1;
const SO_SNDBUF = 7;

/**
 * Asks the kernel for a larger send buffer on the socket behind `fd` (Linux
 * doubles the request and caps it at net.core.wmem_max). Bun.spawn gives a
 * child socketpairs, not pipes, for its stdio, with about 208 KiB of send
 * buffer: an output line of a 256 KiB read does not fit, so each line took the
 * daemon and its reader several wake-ups. Returns the size the kernel reports,
 * or undefined where `fd` is not a socket or the call failed (nothing changes).
 */
export function growSendBuffer(fd: number, bytes: number): number | undefined {
  if (process.platform !== "linux") return undefined;
  try {
    if (!fstatSync(fd).isSocket()) return undefined;
    const libc = dlopen("libc.so.6", {
      setsockopt: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
      getsockopt: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
    });
    try {
      if (libc.symbols.setsockopt(fd, SOL_SOCKET, SO_SNDBUF, ptr(new Int32Array([bytes])), 4) !== 0) return undefined;
      const size = new Int32Array(1);
      const length = new Uint32Array([4]);
      if (libc.symbols.getsockopt(fd, SOL_SOCKET, SO_SNDBUF, ptr(size), ptr(length)) !== 0) return undefined;
      return size[0];
    } finally {
      libc.close();
    }
  } catch {
    return undefined;
  }
}
