/**
 * Messages between the main thread and the PTY reader worker. PTYs are named by
 * a registration id, never by fd: a closed fd number can be reused by the next
 * PTY while messages about the old one are still queued.
 */

/** Bytes the worker may have handed over but not yet had acknowledged, per PTY. */
export const READ_WINDOW_BYTES = 256 * 1024;
/** Largest chunk the worker hands over at once. */
export const MAX_CHUNK_BYTES = 64 * 1024;

export type ToWorker =
  | { readonly type: "init"; readonly wakeFd: number; readonly posted: SharedArrayBuffer }
  | { readonly type: "add"; readonly id: number; readonly fd: number }
  /** Stop polling and close the fd: only the worker closes it, after its last poll. */
  | { readonly type: "remove"; readonly id: number }
  /** The consumer took this many bytes: the worker may read that much more. */
  | { readonly type: "credit"; readonly id: number; readonly bytes: number }
  /** A write hit EAGAIN: tell the main thread when the fd is writable again. */
  | { readonly type: "want-write"; readonly id: number };

export type FromWorker =
  /** The worker's module loaded and took `init`: until then no PTY may be started on it. */
  | { readonly type: "ready" }
  /** `stalled`: the worker stopped reading this PTY until credit comes back. */
  | { readonly type: "data"; readonly id: number; readonly chunk: Uint8Array; readonly stalled: boolean }
  | { readonly type: "eof"; readonly id: number }
  | { readonly type: "writable"; readonly id: number };
