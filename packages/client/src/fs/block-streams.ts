import { decodeBase64, encodeBase64, FS_MAX_BLOCK_BYTES } from "@x/exec-protocol";
import type { MachineRpc } from "../machine-rpc.ts";

export interface OpenReadOptions {
  /** Bytes per fs/readBlock (default and cap 1 MiB). */
  readonly blockBytes?: number;
  /** fs/readBlock calls in flight at once (default 2). */
  readonly inFlight?: number;
}

export interface OpenWriteOptions {
  /** Bytes per fs/writeBlock (default and cap 1 MiB). */
  readonly blockBytes?: number;
  /** fs/writeBlock calls in flight at once (default 2). */
  readonly inFlight?: number;
}

/**
 * A file on the server as a web ReadableStream: fs/open, then fs/readBlock
 * with up to `inFlight` blocks requested ahead, then fs/close (also on cancel).
 * Memory on either side stays near inFlight × blockBytes.
 */
export function openReadStream(rpc: MachineRpc, handleId: string, path: string, options: OpenReadOptions = {}): ReadableStream<Uint8Array> {
  const blockBytes = Math.max(1, Math.min(options.blockBytes ?? FS_MAX_BLOCK_BYTES, FS_MAX_BLOCK_BYTES));
  const inFlight = Math.max(1, options.inFlight ?? 2);
  let opened: Promise<unknown> | undefined;
  let nextOffset = 0;
  let eof = false;
  let closed = false;
  const ahead: Array<Promise<{ chunk: Uint8Array; eof: boolean }>> = [];
  const close = async () => {
    if (closed) return;
    closed = true;
    await Promise.allSettled(ahead);
    await rpc.request("fs/close", { handleId }).catch(() => {});
  };
  const fill = () => {
    while (!eof && ahead.length < inFlight) {
      const offset = nextOffset;
      nextOffset += blockBytes;
      const block = rpc
        .request("fs/readBlock", { handleId, offset, len: blockBytes })
        .then((result) => ({ chunk: decodeBase64(result.chunk), eof: result.eof }));
      // A failed read-ahead is reported when its turn comes, not as an unhandled rejection.
      block.catch(() => {});
      ahead.push(block);
    }
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          opened ??= rpc.request("fs/open", { handleId, path, mode: "read" });
          await opened;
          fill();
          const block = await ahead.shift()!;
          if (block.eof) eof = true;
          if (block.chunk.length > 0) controller.enqueue(block.chunk);
          if (eof || block.chunk.length < blockBytes) {
            eof = true;
            await close();
            controller.close();
          }
        } catch (error) {
          eof = true;
          await close();
          controller.error(error);
        }
      },
      async cancel() {
        eof = true;
        if (opened) await close();
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * A file on the server as a web WritableStream: fs/open with mode "replace",
 * fs/writeBlock per block (writes of any size are cut and gathered into
 * blocks), fs/close when the stream closes. A failed block errors the stream.
 */
export function openWriteStream(rpc: MachineRpc, handleId: string, path: string, options: OpenWriteOptions = {}): WritableStream<Uint8Array> {
  const blockBytes = Math.max(1, Math.min(options.blockBytes ?? FS_MAX_BLOCK_BYTES, FS_MAX_BLOCK_BYTES));
  const inFlight = Math.max(1, options.inFlight ?? 2);
  let offset = 0;
  let buffer = new Uint8Array(blockBytes);
  let filled = 0;
  const pending = new Set<Promise<unknown>>();
  let failure: unknown;
  let opened: Promise<unknown> | undefined;

  const send = async (bytes: Uint8Array) => {
    const at = offset;
    offset += bytes.length;
    const write = rpc.request("fs/writeBlock", { handleId, offset: at, chunk: encodeBase64(bytes) }).catch((error) => {
      failure ??= error;
    });
    pending.add(write);
    void write.finally(() => pending.delete(write));
    while (pending.size >= inFlight) await Promise.race(pending);
    if (failure) throw failure;
  };
  const abandon = async () => {
    await Promise.allSettled(pending);
    if (opened) await rpc.request("fs/close", { handleId }).catch(() => {});
  };

  return new WritableStream<Uint8Array>({
    async write(chunk) {
      opened ??= rpc.request("fs/open", { handleId, path, mode: "replace" });
      await opened;
      let at = 0;
      while (at < chunk.length) {
        const take = Math.min(blockBytes - filled, chunk.length - at);
        buffer.set(chunk.subarray(at, at + take), filled);
        filled += take;
        at += take;
        if (filled === blockBytes) {
          const full = buffer;
          buffer = new Uint8Array(blockBytes);
          filled = 0;
          await send(full);
        }
      }
    },
    async close() {
      opened ??= rpc.request("fs/open", { handleId, path, mode: "replace" });
      await opened;
      if (filled > 0) await send(buffer.subarray(0, filled));
      await Promise.all(pending);
      if (failure) {
        await abandon();
        throw failure;
      }
      await rpc.request("fs/close", { handleId });
    },
    async abort() {
      await abandon();
    },
  });
}
