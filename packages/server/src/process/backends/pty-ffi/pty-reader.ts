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

  private readonly worker: Worker;
  private readonly wakeFd: number;
  private readonly posted = new Int32Array(new SharedArrayBuffer(4));
  private readonly registered = new Map<number, { readonly fd: number; readonly listener: PtyListener }>();
  private readonly one = new BigUint64Array([1n]);
  private nextId = 1;
  private failed = false;

  private constructor() {
    this.wakeFd = openEventFd();
    this.worker = new Worker(new URL("./pty-reader-worker.ts", import.meta.url).href);
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
