import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { cp, lstat, mkdir, opendir, realpath, rename, rm, stat, unlink, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { encodeBase64, decodeBase64Param, RpcError, type MachineMethodName, type ParamsOf, type ResultOf } from "@x/exec-protocol";
import type { LiveSink } from "../process/output/live-sink.ts";
import { FileHandles } from "./file-handles.ts";
import { FsLimits } from "./fs-limits.ts";
import type { FsRoots } from "./fs-roots.ts";
import { FsWatches } from "./fs-watches.ts";
import { ReadBudget } from "./read-budget.ts";
import { osCall, osError, WRITE_EXCLUSIVE, WRITE_NO_TRUNC } from "./os-error.ts";
import { openNonBlocking, regularStats } from "./regular-file.ts";
import { walk } from "./walk.ts";
import { parseWirePath, toWirePath, type WirePath } from "./wire-path.ts";

type FsMethodName = Extract<MachineMethodName, `fs/${string}`>;
type FsImpl<M extends FsMethodName> = (params: ParamsOf<M>) => Promise<ResultOf<M>> | ResultOf<M>;

/** A checked path: where to operate, and how to name it back to the client. */
interface Target extends WirePath {
  readonly shown: string;
  /** Its real location as the confinement check saw it (the path itself when unconfined). */
  readonly real: string;
}

/**
 * The fs/* methods of one connection. Every path is parsed (URI or absolute),
 * confined to --fs-root, and every OS error becomes -32040 with its code.
 * Whole-file reads stop at `maxReadBytes` (the server's --max-message-bytes):
 * bigger files go through fs/open + fs/readBlock, which never hold more than a block.
 */
export class FsHandler {
  private readonly handles: FileHandles;
  private readonly watches: FsWatches;
  /** Bytes of fs/readFile and fs/readBlock in flight: at most `maxReadBytes` together. */
  private readonly readBudget: ReadBudget;
  private closed = false;

  readonly methods: { [M in FsMethodName]: FsImpl<M> } = {
    "fs/readFile": (p) => this.readFile(p),
    "fs/writeFile": (p) => this.writeFile(p),
    "fs/createDirectory": async (p) => {
      const t = await this.target(p.path, true);
      await osCall(t.shown, () => mkdir(t.path, { recursive: p.recursive ?? false }));
      return {};
    },
    "fs/getMetadata": async (p) => {
      const t = await this.target(p.path, false);
      const link = await osCall(t.shown, () => lstat(t.path));
      // Upstream describes the target of a link and flags the link itself.
      // A dangling link is still there: it is described as itself.
      const info = link.isSymbolicLink() ? await this.followed(t).then((real) => stat(real).catch(() => link)) : link;
      return {
        isDirectory: info.isDirectory(),
        isFile: info.isFile(),
        isSymlink: link.isSymbolicLink(),
        size: info.size,
        createdAtMs: Math.trunc(info.birthtimeMs > 0 ? info.birthtimeMs : info.ctimeMs),
        modifiedAtMs: Math.trunc(info.mtimeMs),
        mode: info.mode & 0o7777,
      };
    },
    "fs/canonicalize": async (p) => {
      const t = await this.target(p.path, true);
      const real = await osCall(t.shown, () => realpath(t.path));
      return { path: toWirePath(real, t.uri) };
    },
    "fs/readDirectory": (p) => this.readDirectory(p),
    "fs/remove": async (p) => {
      const t = await this.target(p.path, false);
      if (this.roots.roots.includes(t.real)) throw RpcError.invalidRequest(`${t.shown} is an --fs-root itself and cannot be removed`);
      await osCall(t.shown, () => rm(t.path, { recursive: p.recursive ?? false, force: p.force ?? false }));
      return {};
    },
    "fs/copy": async (p) => {
      const from = await this.target(p.sourcePath, true, "sourcePath");
      const to = await this.target(p.destinationPath, true, "destinationPath");
      const source = await osCall(from.shown, () => stat(from.path));
      if (source.isDirectory() && p.recursive !== true) {
        throw osError("EISDIR", from.shown, "copy", "is a directory: pass recursive: true to copy it");
      }
      // Symlinks inside a copied tree are copied as links, never followed out of the roots.
      await osCall(from.shown, () => cp(from.path, to.path, { recursive: p.recursive ?? false, verbatimSymlinks: true, force: true }));
      return {};
    },
    "fs/rename": async (p) => {
      const from = await this.target(p.sourcePath, false, "sourcePath");
      const to = await this.target(p.destinationPath, false, "destinationPath");
      await osCall(from.shown, () => rename(from.path, to.path));
      return {};
    },
    "fs/open": async (p) => {
      const t = await this.target(p.path, true);
      const { size } = await this.handles.open(p.handleId, t.path, t.shown, p.mode ?? "read");
      return { handleId: p.handleId, size };
    },
    "fs/readBlock": (p) => this.handles.readBlock(p.handleId, p.offset, p.len),
    "fs/writeBlock": async (p) => {
      await this.handles.writeBlock(p.handleId, p.offset, p.chunk);
      return {};
    },
    "fs/close": async (p) => {
      await this.handles.close(p.handleId);
      return {};
    },
    "fs/walk": async (p) => {
      const t = await this.target(p.path, true);
      const maxDepth = p.options?.maxDepth ?? FsLimits.walkDefaultDepth;
      const maxEntries = p.options?.maxEntries ?? FsLimits.walkDefaultEntries;
      return osCall(t.shown, () => walk(t.path, maxDepth, maxEntries));
    },
    "fs/watch": async (p) => {
      const t = await this.target(p.path, true);
      const info = await osCall(t.shown, () => stat(t.path));
      this.watches.add(p.watchId, t.path, !info.isDirectory(), t.uri, p.recursive ?? false, t.shown);
      return {};
    },
    "fs/unwatch": (p) => {
      if (!this.watches.remove(p.watchId)) throw RpcError.invalidRequest(`unknown watch ${p.watchId}`);
      return {};
    },
  };

  constructor(
    private readonly roots: FsRoots,
    sink: LiveSink,
    private readonly maxReadBytes: number,
  ) {
    this.readBudget = new ReadBudget(maxReadBytes);
    this.handles = new FileHandles(roots, this.readBudget);
    this.watches = new FsWatches(roots, sink);
  }

  /** The connection is gone: handles closed, watches stopped. */
  async close(): Promise<void> {
    this.closed = true;
    this.watches.clear();
    await this.handles.closeAll();
  }

  /** A process/start cwd: URI or absolute, inside the roots, an existing directory. */
  async resolveCwd(raw: string): Promise<string> {
    const t = await this.target(raw, true, "cwd");
    const info = await stat(t.path).catch(() => undefined);
    if (!info?.isDirectory()) throw RpcError.invalidParams(`cwd ${t.shown} does not exist or is not a directory`);
    return t.path;
  }

  private async target(raw: string, followFinal: boolean, what = "path"): Promise<Target> {
    const wire = parseWirePath(raw, what);
    const real = await this.roots.check(wire.path, followFinal, raw);
    return { ...wire, shown: raw, real };
  }

  private async followed(t: Target): Promise<string> {
    return this.roots.check(t.path, true, t.shown);
  }

  private async readFile(p: ParamsOf<"fs/readFile">): Promise<ResultOf<"fs/readFile">> {
    const t = await this.target(p.path, true);
    const file = await openNonBlocking(t.path, constants.O_RDONLY, t.shown);
    try {
      await this.roots.checkFd(file.fd, t.shown);
      const info = await regularStats(file, t.shown, "read");
      const offset = p.offset ?? 0;
      const available = Math.max(0, info.size - offset);
      const length = p.length === undefined ? available : Math.min(p.length, available);
      if (length > this.maxReadBytes) {
        throw RpcError.limitExceeded(
          `${t.shown} has ${available} bytes from offset ${offset}, more than one answer may carry (${this.maxReadBytes}, --max-message-bytes): ` +
            "read it in parts with offset/length, or with fs/open + fs/readBlock",
          "--max-message-bytes",
          this.maxReadBytes,
        );
      }
      const release = this.readBudget.take(length, t.shown);
      try {
        // The connection may have gone while the file was opened: nobody would get these bytes.
        if (this.closed) throw RpcError.invalidRequest("connection is closed");
        const bytes = await readFully(file, offset, length, t.shown);
        if (this.closed) throw RpcError.invalidRequest("connection is closed");
        return { dataBase64: encodeBase64(bytes) };
      } finally {
        release();
      }
    } finally {
      await file.close().catch(() => {});
    }
  }

  private async writeFile(p: ParamsOf<"fs/writeFile">): Promise<ResultOf<"fs/writeFile">> {
    const t = await this.target(p.path, true);
    const bytes = decodeBase64Param(p.dataBase64, "dataBase64");
    const mode = p.mode ?? 0o666;
    if (p.atomic) {
      if (p.createOnly && (await lstat(t.path).then(() => true, () => false))) {
        throw osError("EEXIST", t.shown, "open");
      }
      const temp = join(dirname(t.path), `.${basename(t.path)}.${randomBytes(6).toString("hex")}.tmp`);
      try {
        await this.writeAll(temp, WRITE_EXCLUSIVE, mode, bytes, t.shown);
        await osCall(t.shown, () => rename(temp, t.path));
      } catch (error) {
        await unlink(temp).catch(() => {});
        throw error;
      }
      return {};
    }
    await this.writeAll(t.path, p.createOnly ? WRITE_EXCLUSIVE : WRITE_NO_TRUNC, mode, bytes, t.shown);
    return {};
  }

  private async writeAll(path: string, flags: number, mode: number, bytes: Uint8Array, shown: string): Promise<void> {
    const file = await openNonBlocking(path, flags, shown, mode);
    try {
      await this.roots.checkFd(file.fd, shown);
      await regularStats(file, shown, "write");
      await osCall(shown, () => file.truncate(0));
      await osCall(shown, () => file.writeFile(bytes));
    } finally {
      await file.close().catch(() => {});
    }
  }

  private async readDirectory(p: ParamsOf<"fs/readDirectory">): Promise<ResultOf<"fs/readDirectory">> {
    const t = await this.target(p.path, true);
    // Reading the directory can fail too (it may vanish between opendir and the first read).
    return osCall(t.shown, async () => {
      const dir = await opendir(t.path);
      const entries: ResultOf<"fs/readDirectory">["entries"] = [];
      let truncated = false;
      for await (const dirent of dir) {
        if (entries.length >= FsLimits.maxDirectoryEntries) {
          truncated = true;
          break;
        }
        entries.push({
          fileName: dirent.name,
          isDirectory: dirent.isDirectory(),
          isFile: dirent.isFile(),
          isSymlink: dirent.isSymbolicLink(),
        });
      }
      return truncated ? { entries, truncated } : { entries };
    });
  }
}

async function readFully(file: FileHandle, offset: number, length: number, shown: string): Promise<Uint8Array> {
  const buffer = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await osCall(shown, () => file.read(buffer, filled, length - filled, offset + filled));
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}
