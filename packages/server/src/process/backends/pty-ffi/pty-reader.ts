import { libc, openEventFd } from "./libc.ts";
import type { FromWorker, ToWorker } from "./reader-messages.ts";

/** What the reader tells one registered PTY. */
export interface PtyListener {
  onData(chunk: Uint8Array, stalled: boolean): void;
  onEof(): void;
  onWritable(): void;
  /** The reader died and closed the fd: the fd number is no longer this PTY's. */
  onLost(error: Error): void;
}

/** Talks to one registered master fd through the shared reader worker. */
export interface PtyRegistration {
  credit(bytes: number): void;
  wantWrite(): void;
  /** Stops polling and closes the fd (in the worker, after its last poll). */
  remove(): void;
}

/**
 * The main-thread side of the one reader worker shared by every PTY of the
 * process. The worker sleeps in poll(); each message is counted in shared memory
 * and followed by an eventfd write, so the worker wakes and waits until it has
 * taken in every message before it polls again.
 */
export class PtyReader {
  private static shared: PtyReader | undefined;

  static get(): PtyReader {
    if (!PtyReader.shared || PtyReader.shared.failed) PtyReader.shared = new PtyReader();
    return PtyReader.shared;
  }

  /**
   * Resolves once the shared worker runs; rejects with the reason it cannot
   * start (e.g. its module is missing from a compiled executable), so a spawn
   * can be refused instead of a child's output being lost.
   */
  static ready(): Promise<void> {
    try {
      return PtyReader.get().started;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private readonly started: Promise<void>;
  private settleStart!: (error?: Error) => void;

  private readonly worker: Worker;
  private readonly wakeFd: number;
  private readonly posted = new Int32Array(new SharedArrayBuffer(4));
  private readonly registered = new Map<number, { readonly fd: number; readonly listener: PtyListener }>();
  private readonly one = new BigUint64Array([1n]);
  private nextId = 1;
  private failed = false;

  private constructor() {
    this.started = new Promise<void>((resolve, reject) => {
      this.settleStart = (error) => (error ? reject(error) : resolve());
    });
    this.started.catch(() => {}); // a start failure is reported to whoever awaits ready()
    this.wakeFd = openEventFd();
    this.worker = new Worker(workerUrl());
    this.worker.onmessage = (event: MessageEvent<FromWorker>) => this.dispatch(event.data);
    this.worker.onerror = (event) => this.fail(event);
    this.worker.unref();
    this.send({ type: "init", wakeFd: this.wakeFd, posted: this.posted.buffer as SharedArrayBuffer });
  }

  register(fd: number, listener: PtyListener): PtyRegistration {
    const id = this.nextId++;
    this.registered.set(id, { fd, listener });
    // Only while some PTY is registered may the worker keep the process alive.
    if (this.registered.size === 1) this.worker.ref();
    this.send({ type: "add", id, fd });
    let removed = false;
    return {
      credit: (bytes) => {
        if (!removed) this.send({ type: "credit", id, bytes });
      },
      wantWrite: () => {
        if (!removed) this.send({ type: "want-write", id });
      },
      remove: () => {
        if (removed) return;
        removed = true;
        if (!this.registered.delete(id)) return; // already closed by fail()
        if (this.registered.size === 0) this.worker.unref();
        this.send({ type: "remove", id });
      },
    };
  }

  private send(message: ToWorker): void {
    if (this.failed) return;
    Atomics.add(this.posted, 0, 1);
    this.worker.postMessage(message);
    libc.write(this.wakeFd, this.one, 8);
  }

  private dispatch(message: FromWorker): void {
    if (message.type === "ready") return this.settleStart();
    const listener = this.registered.get(message.id)?.listener;
    if (!listener) return; // removed while the message was in flight
    if (message.type === "data") listener.onData(message.chunk, message.stalled);
    else if (message.type === "eof") listener.onEof();
    else listener.onWritable();
  }

  /**
   * An uncaught error ends the worker. Its PTYs would stay silent forever: end
   * them and close their fds here (the worker no longer polls them); the next
   * spawn starts a new reader.
   */
  private fail(event: ErrorEvent): void {
    if (this.failed) return;
    this.failed = true;
    console.error("pty reader worker failed:", event.message);
    this.settleStart(new Error(`pty reader worker failed: ${event.message}`));
    this.worker.terminate();
    const entries = [...this.registered.values()];
    this.registered.clear();
    const error = new Error(`pty reader failed: ${event.message}`);
    for (const { fd, listener } of entries) {
      libc.close(fd);
      listener.onLost(error);
    }
    libc.close(this.wakeFd);
  }
}

/**
 * Under `bun build --compile` every module is bundled into the executable, whose
 * own path is `import.meta.url`; the worker is a separate entry point stored
 * beside it as `pty-reader-worker.js` (scripts/build-binary.ts names it so).
 */
function workerUrl(): string {
  const source = new URL("./pty-reader-worker.ts", import.meta.url);
  if (!source.pathname.startsWith("/$bunfs/")) return source.href;
  return new URL("./pty-reader-worker.js", import.meta.url).href;
}
