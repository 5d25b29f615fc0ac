import { watch, type FSWatcher } from "node:fs";
import { lstat } from "node:fs/promises";
import { join } from "node:path";
import { RpcError, type FsChange } from "@x/exec-protocol";
import type { LiveSink } from "../process/output/live-sink.ts";
import { FsLimits } from "./fs-limits.ts";
import { toRpcError } from "./os-error.ts";
import type { FsRoots } from "./fs-roots.ts";
import { toWirePath } from "./wire-path.ts";

interface RawEvent {
  readonly type: "rename" | "change";
  readonly path: string;
}

/**
 * One fs/watch: node:fs watch (inotify; recursive follows new subdirectories),
 * its raw events turned into created / modified / removed / renamed, merged over
 * FsLimits.watchCoalesceMs, and held in a bounded queue while the connection is
 * behind. A full queue is emptied and replaced by one `overflow` change: the
 * client learns it lost events, never silently.
 */
class Watch {
  private readonly watcher: FSWatcher;
  private raw: RawEvent[] = [];
  private queue: FsChange[] = [];
  private overflowed = false;
  private timer: Timer | undefined;
  private flushing = false;
  /** A flush came while another was waiting for the connection: run again after it. */
  private rerun = false;
  private closed = false;

  constructor(
    readonly watchId: string,
    private readonly root: string,
    /** The watched path is a file: events name the file itself. */
    private readonly rootIsFile: boolean,
    private readonly uri: boolean,
    recursive: boolean,
    private readonly roots: FsRoots,
    private readonly sink: LiveSink,
    onError: (watch: Watch) => void,
  ) {
    this.watcher = watch(root, { recursive }, (type, name) => this.onEvent(type, name));
    this.watcher.on("error", () => onError(this));
  }

  /** Runs inside the runtime's watcher: an exception here would end the daemon, so none escapes. */
  private onEvent(type: string, name: string | Buffer | null | undefined): void {
    try {
      if (this.closed) return;
      // No name (the watched directory itself changed or went away): the event is about the root.
      const path = name == null || this.rootIsFile ? this.root : join(this.root, String(name));
      if (this.raw.length + this.queue.length >= FsLimits.watchQueueChanges) {
        this.overflow();
        return;
      }
      this.raw.push({ type: type === "change" ? "change" : "rename", path });
      this.timer ??= setTimeout(() => void this.flush(), FsLimits.watchCoalesceMs);
    } catch {
      this.overflow(); // the event could not be read: say that something was lost
    }
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.watcher.close();
  }

  private overflow(): void {
    this.raw = [];
    this.queue = [];
    this.overflowed = true;
    this.timer ??= setTimeout(() => void this.flush(), FsLimits.watchCoalesceMs);
  }

  private async flush(): Promise<void> {
    // This timer has fired: a new event must be able to set the next one.
    this.timer = undefined;
    try {
      await this.flushOnce();
    } catch {
      this.overflow(); // never an unhandled rejection in the daemon
    }
  }

  private async flushOnce(): Promise<void> {
    if (this.flushing) {
      this.rerun = true;
      return;
    }
    this.flushing = true;
    this.rerun = false;
    try {
      const raw = this.raw;
      this.raw = [];
      this.queue.push(...(await this.classify(raw)));
      // Behind: keep gathering (bounded) and send once the connection drains.
      while (!this.closed && !this.sink.writable) await this.sink.whenWritable();
      if (this.closed) return;
      const changes: FsChange[] = this.overflowed
        ? [{ kind: "overflow", path: toWirePath(this.root, this.uri) }, ...this.queue]
        : this.queue;
      this.queue = [];
      this.overflowed = false;
      if (changes.length > 0) this.sink.send({ method: "fs/changed", params: { watchId: this.watchId, changes } });
    } finally {
      this.flushing = false;
      if (!this.closed && (this.rerun || this.raw.length > 0 || this.overflowed) && this.timer === undefined) {
        this.timer = setTimeout(() => void this.flush(), FsLimits.watchCoalesceMs);
      }
    }
  }

  /**
   * inotify says only "rename" (appeared or vanished) and "change". The path's
   * presence now tells created from removed; a vanish followed at once by an
   * appearance is one rename (inotify reports the two halves back to back).
   * Repeats of one path and kind within a batch collapse into one change.
   */
  private async classify(raw: RawEvent[]): Promise<FsChange[]> {
    const changes: FsChange[] = [];
    const seen = new Set<string>();
    const add = (change: FsChange) => {
      const key = `${change.kind}\0${change.oldPath ?? ""}\0${change.path}`;
      if (seen.has(key)) return;
      seen.add(key);
      changes.push(change);
    };
    const wire = (path: string) => toWirePath(path, this.uri);
    for (let i = 0; i < raw.length; i++) {
      const event = raw[i]!;
      if (this.roots.confined && !this.roots.contains(event.path)) continue;
      if (event.type === "change") {
        add({ kind: "modified", path: wire(event.path) });
        continue;
      }
      const exists = await lstat(event.path).then(() => true, () => false);
      const next = raw[i + 1];
      if (!exists && next?.type === "rename" && next.path !== event.path && (await lstat(next.path).then(() => true, () => false))) {
        add({ kind: "renamed", oldPath: wire(event.path), path: wire(next.path) });
        i++;
        continue;
      }
      add({ kind: exists ? "created" : "removed", path: wire(event.path) });
    }
    // "created" then "modified" of one new file reads better as just "created".
    const created = new Set(changes.filter((c) => c.kind === "created").map((c) => c.path));
    return changes.filter((c) => !(c.kind === "modified" && created.has(c.path)));
  }
}

/** One connection's watches: at most FsLimits.maxWatches, all closed with the connection. */
export class FsWatches {
  private readonly watches = new Map<string, Watch>();
  private closed = false;

  constructor(
    private readonly roots: FsRoots,
    private readonly sink: LiveSink,
  ) {}

  add(watchId: string, path: string, isFile: boolean, uri: boolean, recursive: boolean, shown: string): void {
    // A watch set after its connection closed would never be removed.
    if (this.closed) throw RpcError.invalidRequest("connection is closed");
    if (this.watches.has(watchId)) throw RpcError.invalidRequest(`watch ${watchId} already exists`);
    if (this.watches.size >= FsLimits.maxWatches) {
      throw RpcError.limitExceeded(`too many watches: this connection has ${FsLimits.maxWatches} (fs/unwatch some)`, "watches", FsLimits.maxWatches);
    }
    let created: Watch;
    try {
      created = new Watch(watchId, path, isFile, uri, recursive, this.roots, this.sink, (broken) => this.remove(broken.watchId));
    } catch (error) {
      throw toRpcError(error, shown);
    }
    this.watches.set(watchId, created);
  }

  remove(watchId: string): boolean {
    const found = this.watches.get(watchId);
    if (!found) return false;
    this.watches.delete(watchId);
    found.close();
    return true;
  }

  clear(): void {
    this.closed = true;
    for (const id of [...this.watches.keys()]) this.remove(id);
  }
}
