import { SerializeAddon } from "@xterm/addon-serialize";
import { Terminal } from "@xterm/headless";
import { blankScreen, captureScreen, serializeScreen, type CaptureOptions, type ScreenSnapshot } from "./screen-capture.ts";

export type { CaptureOptions, ScreenSnapshot } from "./screen-capture.ts";

export interface TerminalScreenOptions {
  readonly cols: number;
  readonly rows: number;
  readonly scrollbackLines: number;
  /** Answers to terminal queries (DA, CPR, ...) that belong on the PTY's input. */
  readonly onReply?: (bytes: Uint8Array) => void;
  /** Bytes queued ahead of the parser beyond which the oldest are dropped (see `TerminalScreen`); 32 MiB by default. */
  readonly maxQueuedBytes?: number;
}

/** Largest piece handed to xterm in one `write`. */
const SLICE_BYTES = 1 << 20;
/** Bytes handed to xterm and not yet parsed; far below the ~50 MB at which it discards writes. */
const IN_FLIGHT_BYTES = 4 << 20;
const DEFAULT_MAX_QUEUED_BYTES = 32 << 20;

type Op =
  | { readonly kind: "write"; readonly data: Uint8Array; readonly seq: number }
  | { readonly kind: "resize"; readonly cols: number; readonly rows: number }
  | { readonly kind: "reset"; readonly seq: number }
  | {
      readonly kind: "snapshot";
      readonly options: CaptureOptions;
      readonly resolve: (snapshot: ScreenSnapshot) => void;
      readonly reject: (error: Error) => void;
    };

/**
 * The rendered screen of one PTY, fed with its output bytes in order.
 *
 * Input policy: every call becomes an op in one FIFO, so writes, resizes and
 * snapshots apply in call order. Writes go to xterm in slices of at most 1 MiB
 * with at most 4 MiB unparsed inside it (its write callbacks say when), so xterm
 * never discards input; the rest waits here. xterm parses faster than a PTY
 * produces, so that queue stays short. If it still passes `maxQueuedBytes`, the
 * oldest queued bytes are dropped and the terminal is reset where they were:
 * a screen missing a stretch of output is wrong anyway, and a reset one heals
 * as soon as the program redraws. `droppedBytes` reports it.
 *
 * The xterm terminal is created on the first write: a screen that never saw
 * output costs almost nothing.
 */
export class TerminalScreen {
  private terminal: Terminal | undefined;
  private serializer: SerializeAddon | undefined;
  private cols: number;
  private rows: number;
  private ops: Array<Op | undefined> = [];
  private head = 0;
  private queuedBytes = 0;
  private inFlightBytes = 0;
  private parsedSeq = 0;
  private droppedBytes = 0;
  private disposed = false;
  private readonly maxQueuedBytes: number;
  private readonly encoder = new TextEncoder();

  constructor(private readonly options: TerminalScreenOptions) {
    this.cols = options.cols;
    this.rows = options.rows;
    this.maxQueuedBytes = Math.max(options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES, SLICE_BYTES);
  }

  /** Feeds PTY output. `data` is kept until parsed: don't modify it afterwards. */
  write(data: Uint8Array, seq: number): void {
    if (this.disposed) return;
    // An empty write still moves the seq on.
    if (data.byteLength === 0) this.ops.push({ kind: "write", data, seq });
    for (let start = 0; start < data.byteLength; start += SLICE_BYTES) {
      const slice = data.subarray(start, start + SLICE_BYTES);
      this.queuedBytes += slice.byteLength;
      this.ops.push({ kind: "write", data: slice, seq });
    }
    if (this.queuedBytes > this.maxQueuedBytes) this.dropOldest();
    this.pump();
  }

  resize(cols: number, rows: number): void {
    if (this.disposed) return;
    this.ops.push({ kind: "resize", cols, rows });
    this.pump();
  }

  /** The screen after every write made before this call, and none after. */
  snapshot(options: CaptureOptions = {}): Promise<ScreenSnapshot> {
    if (this.disposed) return Promise.reject(new Error("terminal screen is disposed"));
    return new Promise((resolve, reject) => {
      this.ops.push({ kind: "snapshot", options, resolve, reject });
      this.pump();
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const pending = this.ops.slice(this.head);
    this.ops = [];
    this.head = 0;
    for (const op of pending) {
      if (op?.kind === "snapshot") op.reject(new Error("terminal screen is disposed"));
    }
    this.terminal?.dispose();
    this.terminal = undefined;
    this.serializer = undefined;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Hands queued ops to xterm as far as the in-flight bound and op order allow. */
  private pump(): void {
    while (!this.disposed && this.head < this.ops.length) {
      const op = this.ops[this.head]!;
      if (op.kind === "write" && op.data.byteLength > 0) {
        const size = op.data.byteLength;
        if (this.inFlightBytes > 0 && this.inFlightBytes + size > IN_FLIGHT_BYTES) return;
        this.take();
        this.queuedBytes -= size;
        this.inFlightBytes += size;
        this.ensureTerminal().write(op.data, () => {
          this.inFlightBytes -= size;
          this.parsedSeq = op.seq;
          this.pump();
        });
        continue;
      }
      // Everything else acts on the parsed state: wait until xterm has caught up.
      if (this.inFlightBytes > 0) return;
      this.take();
      if (op.kind === "resize") this.applyResize(op.cols, op.rows);
      else if (op.kind === "reset") this.applyReset(op.seq);
      else if (op.kind === "write") this.parsedSeq = op.seq;
      else this.capture(op);
    }
  }

  private take(): void {
    this.ops[this.head++] = undefined;
    if (this.head === this.ops.length) {
      this.ops = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.ops.length) {
      this.ops = this.ops.slice(this.head);
      this.head = 0;
    }
  }

  private ensureTerminal(): Terminal {
    if (this.terminal) return this.terminal;
    const terminal = new Terminal({
      cols: this.cols,
      rows: this.rows,
      scrollback: this.options.scrollbackLines,
      allowProposedApi: true,
      logLevel: "off",
    });
    const onReply = this.options.onReply;
    if (onReply) terminal.onData((reply) => onReply(this.encoder.encode(reply)));
    this.terminal = terminal;
    return terminal;
  }

  private applyResize(cols: number, rows: number): void {
    this.cols = cols;
    this.rows = rows;
    this.terminal?.resize(cols, rows);
  }

  private applyReset(seq: number): void {
    this.terminal?.reset();
    this.parsedSeq = seq;
  }

  /** Drops the oldest queued writes until the queue fits, keeping the newest; a reset takes their place. */
  private dropOldest(): void {
    const kept: Op[] = [];
    let droppedSeq: number | undefined;
    let lastWrite = -1;
    for (let i = this.ops.length - 1; i >= this.head; i--) {
      if (this.ops[i]!.kind === "write") {
        lastWrite = i;
        break;
      }
    }
    for (let i = this.head; i < this.ops.length; i++) {
      const op = this.ops[i]!;
      if (op.kind === "write" && i !== lastWrite && this.queuedBytes > this.maxQueuedBytes) {
        this.queuedBytes -= op.data.byteLength;
        this.droppedBytes += op.data.byteLength;
        droppedSeq = op.seq;
        continue;
      }
      if (droppedSeq !== undefined) {
        kept.push({ kind: "reset", seq: droppedSeq });
        droppedSeq = undefined;
      }
      kept.push(op);
    }
    this.ops = kept;
    this.head = 0;
  }

  private capture(op: Extract<Op, { kind: "snapshot" }>): void {
    const scrollback = Math.max(0, Math.floor(op.options.scrollback ?? 0));
    try {
      const terminal = this.terminal;
      const screen = terminal ? captureScreen(terminal, scrollback) : blankScreen(this.cols, this.rows, scrollback);
      const snapshot: ScreenSnapshot = { ...screen, seq: this.parsedSeq, droppedBytes: this.droppedBytes };
      op.resolve(op.options.serialize ? { ...snapshot, serialized: this.serialize(scrollback) } : snapshot);
    } catch (error) {
      op.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private serialize(scrollback: number): string {
    const terminal = this.terminal;
    if (!terminal) return "";
    if (!this.serializer) {
      this.serializer = new SerializeAddon();
      terminal.loadAddon(this.serializer);
    }
    return serializeScreen(terminal, this.serializer, scrollback);
  }
}
