import { encodeBase64, type MethodName, type ParamsOf, type ResultOf, type DecodedOutputChunk } from "@x/exec-protocol";
import { collectWindow, type WindowOptions, type WindowOutput } from "./exec-window.ts";
import { OutputCursor, type FetchOutput } from "./output-cursor.ts";
import type { ExitStatus, ProcessState } from "./process-state.ts";
import { communicate, type RunResult } from "./run.ts";

/** One window of output, in the style of codex's unified exec. */
export interface ExecWindow extends WindowOutput {
  /** The process, to write to and collect more windows from (`process.exec`). */
  readonly process: ProcessHandle;
}

/** The request path a handle uses: the client's. */
export interface ProcessRpc {
  request<M extends MethodName>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>>;
}

const WRITE_PIECE_BYTES = 1024 * 1024;
// Write ids are unique across every client of this runtime (an attached writer shares the
// server's per-process id memory with the owner): a random prefix and a counter. Not
// crypto.randomUUID: browsers have it only in secure contexts (a page on plain http:).
const WRITE_ID_PREFIX = Array.from(crypto.getRandomValues(new Uint8Array(8)), (byte) => byte.toString(16).padStart(2, "0")).join("");
let writeCounter = 0;
const FETCH_MAX_BYTES = 256 * 1024;
const encoder = new TextEncoder();

export interface ProcessExecOptions extends WindowOptions {
  /** Written before the window opens (e.g. `"ls\n"`, or `"\x03"` for Ctrl-C on a PTY). */
  readonly input?: string | Uint8Array;
}

/** One process started through a client. Methods map to `process/*` requests. */
export class ProcessHandle implements AsyncDisposable {
  /** The client-chosen process id (not an OS pid). */
  readonly id: string;
  /** Resolves once, when the server reports the exit; rejects with ConnectionClosedError if the connection ends first. */
  readonly exited: Promise<ExitStatus>;
  /** How every request names the process: by id, plus the owning session for an attached one. */
  protected readonly ref: { readonly processId: string; readonly sessionId?: string };
  private readonly fetch: FetchOutput;
  private windowCursor: OutputCursor | undefined;

  constructor(
    private readonly rpc: ProcessRpc,
    protected readonly state: ProcessState,
    /** The OS process id, when the server reports it. */
    readonly pid: number | undefined,
    readonly tty: boolean,
    private readonly defaultMaxOutputBytes: number,
    /** Set for a process of another session (see `client.attach`). */
    ownerSessionId?: string,
  ) {
    this.id = state.processId;
    this.exited = state.exited;
    // No `sessionId` key at all for an own process: an in-process server validates the object as is.
    this.ref = ownerSessionId === undefined ? { processId: this.id } : { processId: this.id, sessionId: ownerSessionId };
    this.fetch = (afterSeq) => rpc.request("process/read", { ...this.ref, afterSeq, maxBytes: FETCH_MAX_BYTES });
  }

  /** The exit status once known, without waiting. */
  get exitStatus(): ExitStatus | undefined {
    return this.state.exit && { exitCode: this.state.exit.exitCode, signal: this.state.exit.signal };
  }

  /** The highest output seq this client has received for the process (read or not). */
  get receivedSeq(): number {
    return this.state.log.liveSeq;
  }

  /** Once the exit is known: the seq of the last output chunk sent before it (later ones trail the exit). */
  get exitSeq(): number | undefined {
    return this.state.exit?.seq;
  }

  /** Output bytes the client holds for this process: about `outputBufferBytes`, see the README's buffering policy. */
  get bufferedBytes(): number {
    return this.state.log.heldBytes;
  }

  /**
   * Writes to stdin (PTY, or a pipe process started with `pipeStdin`). Strings are sent as UTF-8.
   * Every piece carries a `writeId`, so a write in flight when a resumable connection drops is
   * sent again after the resume and the server writes it at most once.
   */
  async write(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === "string" ? encoder.encode(data) : data;
    for (let offset = 0; offset < bytes.byteLength || offset === 0; offset += WRITE_PIECE_BYTES) {
      const piece = bytes.subarray(offset, offset + WRITE_PIECE_BYTES);
      const writeId = `${WRITE_ID_PREFIX}-${++writeCounter}`;
      await this.rpc.request("process/write", { ...this.ref, chunk: encodeBase64(piece), writeId });
    }
  }

  /** End of input: EOF for a pipe, the terminal's EOF character (Ctrl-D) for a PTY. */
  async closeStdin(): Promise<void> {
    await this.rpc.request("process/closeStdin", { ...this.ref });
  }

  /** Resizes a PTY; the child gets SIGWINCH. */
  async resize(cols: number, rows: number): Promise<void> {
    await this.rpc.request("process/resize", { ...this.ref, cols, rows });
  }

  /** Sends a signal to the process group (`"interrupt"` is SIGINT, as upstream names it). */
  async signal(signal: ParamsOf<"process/signal">["signal"]): Promise<void> {
    await this.rpc.request("process/signal", { ...this.ref, signal });
  }

  /**
   * Kills the process group. With `graceMs`, SIGTERM (a PTY: SIGHUP) first and
   * SIGKILL after the grace. Resolves with whether it was running.
   */
  async terminate(options: { graceMs?: number } = {}): Promise<{ running: boolean }> {
    const params: ParamsOf<"process/terminate"> = { ...this.ref };
    if (options.graceMs !== undefined) params.graceMs = options.graceMs;
    const { running } = await this.rpc.request("process/terminate", params);
    return { running };
  }

  /**
   * Every output chunk in order, from the start (or after `afterSeq`), ending
   * when the process's output is closed. Chunks the client no longer holds are
   * re-read from the server; a jump in `seq` means the server dropped them. If
   * the connection ends first, the iterator throws ConnectionClosedError.
   *
   * Between two chunks the iterator holds what it has not read (pausing the
   * connection when that passes the buffer) for `holdIdleMs` (default 1000);
   * a consumer slower than that, e.g. blocked on a slow pipe, catches up from
   * the server's retention and may find a gap. A larger value keeps it
   * lossless for longer, at the cost of a paused connection meanwhile.
   */
  async *output(options: { afterSeq?: number; holdIdleMs?: number } = {}): AsyncGenerator<DecodedOutputChunk, void, undefined> {
    const cursor = new OutputCursor(this.state, this.fetch, options.afterSeq ?? 0, options.holdIdleMs);
    try {
      for (;;) {
        const next = await cursor.next();
        if (typeof next === "string") return;
        yield next;
      }
    } finally {
      cursor.release();
    }
  }

  /** All output received so far (every stream, in order), decoded as UTF-8. */
  async text(): Promise<string> {
    const cursor = new OutputCursor(this.state, this.fetch);
    const decoder = new TextDecoder();
    let text = "";
    try {
      for (;;) {
        const next = await cursor.next({ deadline: 0 });
        if (typeof next === "string") break;
        text += decoder.decode(next.data, { stream: true });
      }
    } finally {
      cursor.release();
    }
    return text + decoder.decode();
  }

  /** The raw `process/read`: retained chunks after `afterSeq` (base64), exit state and gaps. */
  read(params: Omit<ParamsOf<"process/read">, "processId" | "sessionId"> = {}): Promise<ResultOf<"process/read">> {
    return this.rpc.request("process/read", { ...params, ...this.ref });
  }

  /** The retained output and, for a PTY, the rendered screen, tied to an output `seq`. */
  snapshot(
    params: Omit<ParamsOf<"process/snapshot">, "processId" | "sessionId"> = {},
  ): Promise<ResultOf<"process/snapshot">> {
    return this.rpc.request("process/snapshot", { ...params, ...this.ref });
  }

  /** Waits on the server for exit, a pattern in the output, or idleness; never kills. */
  wait(params: Omit<ParamsOf<"process/wait">, "processId" | "sessionId">): Promise<ResultOf<"process/wait">> {
    return this.rpc.request("process/wait", { ...params, ...this.ref });
  }

  /**
   * Writes `input` (if any), then collects output until the process exits or
   * `yieldTimeMs` passes. Each window continues where the previous one ended.
   */
  async exec(options: ProcessExecOptions): Promise<ExecWindow> {
    if (options.input !== undefined) await this.write(options.input);
    this.windowCursor ??= new OutputCursor(this.state, this.fetch);
    const window = await collectWindow(this, this.windowCursor, {
      yieldTimeMs: options.yieldTimeMs,
      maxOutputBytes: options.maxOutputBytes ?? this.defaultMaxOutputBytes,
    });
    return { ...window, process: this };
  }

  /**
   * Feeds `stdin` (the process must have been started with `pipeStdin`), closes
   * it, and collects all output until exit. See `client.run`.
   */
  communicate(options: { stdin?: string | Uint8Array; timeoutMs?: number } = {}): Promise<RunResult> {
    return communicate(this, new OutputCursor(this.state, this.fetch), options.stdin, options.timeoutMs);
  }

  /** `await using p = await client.start(...)` kills the process when the scope ends. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.state.exit || this.state.failure) return;
    await this.terminate().catch(() => {});
  }
}
