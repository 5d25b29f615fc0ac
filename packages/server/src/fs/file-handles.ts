import { constants } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { encodeBase64, FS_MAX_BLOCK_BYTES, RpcError, decodeBase64Param } from "@x/exec-protocol";
import type { FsRoots } from "./fs-roots.ts";
import { FsLimits } from "./fs-limits.ts";
import { osCall, WRITE_NO_TRUNC } from "./os-error.ts";
import { openNonBlocking, regularStats } from "./regular-file.ts";
import type { ReadBudget } from "./read-budget.ts";

interface OpenFile {
  readonly file: FileHandle;
  readonly writable: boolean;
  readonly shown: string;
}

/** One connection's fs/open handles: at most FsLimits.maxOpenHandles, all closed with the connection. */
export class FileHandles {
  private readonly handles = new Map<string, OpenFile>();
  /** Ids being opened, so two racing opens of one id cannot both win. */
  private readonly opening = new Set<string>();
  private closed = false;

  constructor(
    private readonly roots: FsRoots,
    private readonly readBudget: ReadBudget,
  ) {}

  async open(handleId: string, path: string, shown: string, mode: "read" | "replace"): Promise<{ size: number }> {
    if (this.handles.has(handleId) || this.opening.has(handleId)) {
      throw RpcError.invalidRequest(`handle ${handleId} is already open`);
    }
    if (this.handles.size + this.opening.size >= FsLimits.maxOpenHandles) {
      throw RpcError.limitExceeded(
        `too many open handles: this connection has ${FsLimits.maxOpenHandles} (close some with fs/close)`,
        "openHandles",
        FsLimits.maxOpenHandles,
      );
    }
    this.opening.add(handleId);
    try {
      await this.roots.check(path, true, shown);
      const file = await openNonBlocking(path, mode === "replace" ? WRITE_NO_TRUNC : constants.O_RDONLY, shown);
      try {
        await this.roots.checkFd(file.fd, shown);
        const info = await regularStats(file, shown, "open");
        if (mode === "replace") await osCall(shown, () => file.truncate(0));
        // The connection closed while this open was on its way: nobody could close it later.
        if (this.closed) throw RpcError.invalidRequest("connection is closed");
        this.handles.set(handleId, { file, writable: mode === "replace", shown });
        return { size: mode === "replace" ? 0 : info.size };
      } catch (error) {
        await file.close().catch(() => {});
        throw error;
      }
    } finally {
      this.opening.delete(handleId);
    }
  }

  async readBlock(handleId: string, offset: number, len: number): Promise<{ chunk: string; eof: boolean }> {
    const handle = this.require(handleId);
    const release = this.readBudget.take(len, handle.shown);
    try {
      if (this.closed) throw RpcError.invalidRequest("connection is closed");
      const buffer = Buffer.allocUnsafe(len);
      let filled = 0;
      // A short read is not the end of the file: keep reading until the block is full or read returns 0.
      while (filled < len) {
        const { bytesRead } = await osCall(handle.shown, () => handle.file.read(buffer, filled, len - filled, offset + filled));
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      let eof = filled < len;
      if (!eof) {
        const { size } = await osCall(handle.shown, () => handle.file.stat());
        eof = offset + filled >= size;
      }
      if (this.closed) throw RpcError.invalidRequest("connection is closed");
      return { chunk: encodeBase64(buffer.subarray(0, filled)), eof };
    } finally {
      release();
    }
  }

  async writeBlock(handleId: string, offset: number, chunk: string): Promise<void> {
    const handle = this.require(handleId);
    if (!handle.writable) throw RpcError.invalidRequest(`handle ${handleId} was opened for reading (open it with mode "replace" to write)`);
    if ((chunk.length / 4) * 3 > FS_MAX_BLOCK_BYTES + 2) {
      throw blockTooLarge();
    }
    const bytes = decodeBase64Param(chunk, "chunk");
    if (bytes.length > FS_MAX_BLOCK_BYTES) throw blockTooLarge();
    let written = 0;
    while (written < bytes.length) {
      const { bytesWritten } = await osCall(handle.shown, () =>
        handle.file.write(bytes, written, bytes.length - written, offset + written),
      );
      written += bytesWritten;
    }
  }

  async close(handleId: string): Promise<void> {
    const handle = this.require(handleId);
    this.handles.delete(handleId);
    await osCall(handle.shown, () => handle.file.close());
  }

  /** The connection is gone. */
  async closeAll(): Promise<void> {
    this.closed = true;
    const all = [...this.handles.values()];
    this.handles.clear();
    await Promise.all(all.map((handle) => handle.file.close().catch(() => {})));
  }

  private require(handleId: string): OpenFile {
    const handle = this.handles.get(handleId);
    if (!handle) throw RpcError.invalidRequest(`unknown handle ${handleId} (not opened with fs/open, or closed)`);
    return handle;
  }
}

function blockTooLarge(): RpcError {
  return RpcError.limitExceeded(`a block is at most ${FS_MAX_BLOCK_BYTES} bytes; split the write`, "blockBytes", FS_MAX_BLOCK_BYTES);
}
