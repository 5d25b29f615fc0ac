import {
  decodeBase64,
  encodeBase64,
  type FsMetadata,
  type FsWalkOptions,
  type FsWalkResult,
  type ParamsOf,
  type ResultOf,
} from "@x/exec-protocol";
import { openReadStream, openWriteStream, type OpenReadOptions, type OpenWriteOptions } from "./block-streams.ts";
import { FsWatch } from "./fs-watch.ts";
import type { MachineRpc } from "../machine-rpc.ts";
import type { WatchRouter } from "./watch-router.ts";

export type ReadFileOptions = Pick<ParamsOf<"fs/readFile">, "offset" | "length">;
export type WriteFileOptions = Pick<ParamsOf<"fs/writeFile">, "mode" | "atomic" | "createOnly">;
export type DirectoryEntry = ResultOf<"fs/readDirectory">["entries"][number];

const encoder = new TextEncoder();

/**
 * The server's file system (`client.fs`). Paths are absolute paths or `file:`
 * URIs on the server's machine. Failures reject with ExecServerError: -32040
 * carries the OS code in `data.code` (ENOENT, EACCES, …), -32041 means outside
 * the server's --fs-root. Whole-file calls are bounded by the server's message
 * size; openRead / openWrite stream files of any size one block at a time.
 */
export class FsClient {
  private nextId = 1;

  constructor(
    private readonly rpc: MachineRpc,
    private readonly router: WatchRouter,
  ) {}

  async readFile(path: string, options: ReadFileOptions = {}): Promise<Uint8Array> {
    const { dataBase64 } = await this.rpc.request("fs/readFile", { path, ...options });
    return decodeBase64(dataBase64);
  }

  async readTextFile(path: string, options: ReadFileOptions = {}): Promise<string> {
    return new TextDecoder().decode(await this.readFile(path, options));
  }

  async writeFile(path: string, data: Uint8Array | string, options: WriteFileOptions = {}): Promise<void> {
    const bytes = typeof data === "string" ? encoder.encode(data) : data;
    await this.rpc.request("fs/writeFile", { path, dataBase64: encodeBase64(bytes), ...options });
  }

  async readDir(path: string): Promise<DirectoryEntry[]> {
    return (await this.rpc.request("fs/readDirectory", { path })).entries;
  }

  /** Metadata of the path; of a symlink's target, with `isSymlink` set. */
  stat(path: string): Promise<FsMetadata> {
    return this.rpc.request("fs/getMetadata", { path });
  }

  /** Whether the path exists (a dangling symlink does: the link is there). */
  async exists(path: string): Promise<boolean> {
    try {
      await this.stat(path);
      return true;
    } catch (error) {
      if ((error as { data?: { code?: string } }).data?.code === "ENOENT") return false;
      throw error;
    }
  }

  async mkdir(path: string, options: { recursive?: boolean } = {}): Promise<void> {
    await this.rpc.request("fs/createDirectory", { path, ...options });
  }

  async remove(path: string, options: { recursive?: boolean; force?: boolean } = {}): Promise<void> {
    await this.rpc.request("fs/remove", { path, ...options });
  }

  async copy(sourcePath: string, destinationPath: string, options: { recursive?: boolean } = {}): Promise<void> {
    await this.rpc.request("fs/copy", { sourcePath, destinationPath, ...options });
  }

  async rename(sourcePath: string, destinationPath: string): Promise<void> {
    await this.rpc.request("fs/rename", { sourcePath, destinationPath });
  }

  /** The path with every symlink resolved. */
  async canonicalize(path: string): Promise<string> {
    return (await this.rpc.request("fs/canonicalize", { path })).path;
  }

  /** A bounded breadth-first listing (`truncated` when cut short). */
  walk(path: string, options: FsWalkOptions = {}): Promise<FsWalkResult> {
    return this.rpc.request("fs/walk", { path, options });
  }

  /** Watches a file or directory; iterate the result for changes, close it to stop. */
  async watch(path: string, options: { recursive?: boolean } = {}): Promise<FsWatch> {
    const watchId = `watch-${this.nextId++}`;
    // Listening before the call: nothing sent right after the answer is missed.
    const watch = new FsWatch(watchId, path, this.router, () => this.rpc.request("fs/unwatch", { watchId }));
    try {
      await this.rpc.request("fs/watch", { watchId, path, ...options });
    } catch (error) {
      watch.end();
      throw error;
    }
    return watch;
  }

  /** The file as a stream, fetched one block (≤ 1 MiB) at a time. */
  openRead(path: string, options: OpenReadOptions = {}): ReadableStream<Uint8Array> {
    return openReadStream(this.rpc, `read-${this.nextId++}`, path, options);
  }

  /** Creates or truncates the file; what is written goes out one block (≤ 1 MiB) at a time. */
  openWrite(path: string, options: OpenWriteOptions = {}): WritableStream<Uint8Array> {
    return openWriteStream(this.rpc, `write-${this.nextId++}`, path, options);
  }
}
