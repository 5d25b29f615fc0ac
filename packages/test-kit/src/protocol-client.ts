import {
  decodeOutputFrame,
  parseMessage,
  type MethodName,
  type NotificationParamsOf,
  type ParamsOf,
  type ResultOf,
  type RpcErrorObject,
} from "@x/exec-protocol";
import type { Json } from "./start-params.ts";
import { openWebSocketWire, stdioWire, type StdioPeer, type Wire } from "./wire.ts";

/** A message from the daemon, loosely typed: tests check the shapes themselves. */
export interface InboundMessage {
  readonly id?: unknown;
  readonly method?: string;
  readonly params?: any;
  readonly result?: any;
  readonly error?: RpcErrorObject;
}

export interface ResponseMessage {
  readonly id: string | number | null;
  readonly result?: any;
  readonly error?: RpcErrorObject;
}

export interface ChunkRecord {
  readonly seq: number;
  readonly stream: string;
  readonly data: Uint8Array;
}

/** What one process has reported so far on this connection. */
export class ProcessRecord {
  readonly chunks: ChunkRecord[] = [];
  bytes = 0;
  lastSeq = 0;
  /** Seqs that arrived out of order or twice. */
  seqErrors = 0;
  exited: NotificationParamsOf<"process/exited"> | undefined;
  closed: NotificationParamsOf<"process/closed"> | undefined;
  readonly skipped: Array<NotificationParamsOf<"process/outputSkipped">> = [];

  constructor(private readonly keepOutput: boolean) {}

  /** From a JSON notification (base64 `chunk`) or a binary output frame (`data`). */
  addOutput(params: Omit<NotificationParamsOf<"process/output">, "chunk"> & { chunk?: string; data?: Uint8Array }): void {
    const data = params.data ?? Buffer.from(params.chunk ?? "", "base64");
    const seq = params.seq ?? this.lastSeq + 1;
    if (seq !== this.lastSeq + 1) this.seqErrors++;
    this.lastSeq = Math.max(this.lastSeq, seq);
    this.bytes += data.byteLength;
    if (this.keepOutput) this.chunks.push({ seq, stream: params.stream, data });
  }

  /** Bytes of one stream (or all), ordered by seq. */
  output(stream?: string): Buffer {
    const chunks = this.chunks.filter((chunk) => stream === undefined || chunk.stream === stream);
    chunks.sort((a, b) => a.seq - b.seq);
    return Buffer.concat(chunks.map((chunk) => chunk.data));
  }
}

export interface ProtocolClientOptions {
  /** Fold notifications into per-process records (default true); the bench turns it off. */
  readonly records?: boolean;
  /** Keep output bytes per process (default true); false only counts them. */
  readonly keepOutput?: boolean;
  /** Keep every inbound message in `messages`, for `waitFor` (default false: long runs would grow). */
  readonly keepMessages?: boolean;
}

/** Called with a notification's params; binary output frames come as `{processId, stream, seq, data}`. */
export type NotificationHandler = (params: Record<string, any>) => void;

export class ResponseError extends Error {
  override readonly name = "ResponseError";
  constructor(
    readonly method: string,
    readonly error: RpcErrorObject,
  ) {
    super(`${method} failed: ${error.code} ${error.message}`);
  }
}

/**
 * The one raw protocol client of the tests, scripts and bench: JSON-RPC over a
 * Wire with request ids and a pending map, notifications folded into
 * per-process records and routed to handlers, and waiters that wake on every
 * inbound message. No SDK in between, so tests see exactly what the daemon sent.
 */
export class ProtocolClient {
  private nextId = 1;
  private readonly pending = new Map<string | number, (response: Json) => void>();
  private readonly records = new Map<string, ProcessRecord>();
  private readonly handlers = new Map<string, NotificationHandler>();
  private readonly waiters = new Set<() => void>();
  private readonly keepRecords: boolean;
  private readonly keepOutput: boolean;
  private readonly keepMessages: boolean;
  /** Every inbound message in order, when `keepMessages`. */
  readonly messages: any[] = [];
  /** Messages that were not JSON, responses to unknown ids, and the like. */
  readonly strays: string[] = [];
  received = 0;

  constructor(
    readonly wire: Wire,
    options: ProtocolClientOptions = {},
  ) {
    this.keepRecords = options.records ?? true;
    this.keepOutput = options.keepOutput ?? true;
    this.keepMessages = options.keepMessages ?? false;
    wire.onMessage((text) => this.onText(text));
    wire.onBinary((bytes) => this.onOutputFrame(bytes));
    void wire.closed.then(() => {
      for (const resolve of this.pending.values()) resolve({ id: null, error: { code: 0, message: "connection closed" } });
      this.pending.clear();
      this.wake();
    });
  }

  /** Over a stdio daemon's stdin/stdout, every message kept (for protocol tests). */
  static overStdio(daemon: StdioPeer): ProtocolClient {
    return new ProtocolClient(stdioWire(daemon), { keepMessages: true });
  }

  /** Over a websocket, every message kept (for protocol tests); rejects when the upgrade is refused. */
  static async overWebSocket(url: string, headers: Record<string, string> = {}): Promise<ProtocolClient> {
    return new ProtocolClient(await openWebSocketWire(url, headers), { keepMessages: true });
  }

  /** Over whichever transport the daemon serves. */
  static async connect(daemon: StdioPeer & { readonly url?: string | undefined }): Promise<ProtocolClient> {
    return daemon.url ? ProtocolClient.overWebSocket(daemon.url) : ProtocolClient.overStdio(daemon);
  }

  get closed(): boolean {
    return this.wire.isClosed;
  }

  /**
   * Sends a request (with `id`, or the next number); resolves with the response
   * message (result or error), loosely typed: tests check its shape themselves.
   */
  request(method: string, params?: unknown, id: string | number = this.nextId++): Promise<Json> {
    const promise = new Promise<Json>((resolve) => this.pending.set(id, resolve));
    this.send(params === undefined ? { id, method } : { id, method, params });
    return promise;
  }

  /** A request that throws ResponseError on an error response, and resolves with its result (loosely typed). */
  async call(method: MethodName | (string & {}), params?: unknown): Promise<any> {
    const response = await this.request(method, params);
    if (response.error) throw new ResponseError(method, response.error);
    return response.result;
  }

  notify(method: string, params: unknown = {}): void {
    this.send({ method, params });
  }

  /** One message object, serialized. */
  send(message: object): void {
    this.wire.send(JSON.stringify(message));
  }

  /** One message exactly as given (a line on stdio, a text frame on websocket): for malformed input. */
  sendRaw(text: string): void {
    this.wire.send(text);
  }

  async handshake(clientName = "test", params: Partial<ParamsOf<"initialize">> = {}): Promise<ResultOf<"initialize">> {
    const result = await this.call("initialize", { clientName, ...params });
    this.notify("initialized");
    return result;
  }

  /** Routes `method` notifications about `processId` to `handler` (one per pair). */
  on(method: string, processId: string, handler: NotificationHandler): void {
    this.handlers.set(`${method} ${processId}`, handler);
  }

  /** Removes every handler of `processId`. */
  off(processId: string): void {
    for (const method of ["process/output", "process/exited", "process/closed", "process/outputSkipped"]) {
      this.handlers.delete(`${method} ${processId}`);
    }
  }

  process(processId: string): ProcessRecord {
    let record = this.records.get(processId);
    if (!record) {
      record = new ProcessRecord(this.keepOutput);
      this.records.set(processId, record);
    }
    return record;
  }

  forget(processId: string): void {
    this.records.delete(processId);
  }

  /** Resolves with the first kept message (past or future) matching `predicate`; needs `keepMessages`. */
  async waitFor(predicate: (message: any) => boolean, timeoutMs = 15_000): Promise<any> {
    let found: unknown;
    await this.until(() => (found = this.messages.find(predicate)) !== undefined, timeoutMs, "a matching message");
    return found;
  }

  /** Params of the kept notifications of `method` (about `processId`, if given), in arrival order. */
  notifications(method: string, processId?: string): any[] {
    return this.messages
      .filter((m) => m.method === method && (processId === undefined || m.params.processId === processId))
      .map((m) => m.params);
  }

  /** Output bytes of a process (one stream, or all), ordered by seq. */
  output(processId: string, stream?: string): Buffer {
    return this.process(processId).output(stream);
  }

  /** Resolves once `predicate` holds (checked after every inbound message); rejects on timeout or close. */
  async until(predicate: () => boolean, timeoutMs: number, what = "condition"): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!predicate()) {
      if (this.closed) throw new Error(`connection closed while waiting for ${what}`);
      const remaining = deadline - performance.now();
      if (remaining <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(remaining, 250));
        this.waiters.add(wake);
      });
    }
  }

  /** Resolves with the params of the process's `process/exited`. */
  async waitExited(processId: string, timeoutMs = 30_000): Promise<Json> {
    const record = this.process(processId);
    await this.until(() => record.exited !== undefined, timeoutMs, `${processId} to exit`);
    return record.exited!;
  }

  /** Exited and every output stream at EOF: all output has arrived. */
  waitClosed(processId: string, timeoutMs = 30_000): Promise<void> {
    return this.until(() => this.process(processId).closed !== undefined, timeoutMs, `${processId} to close`);
  }

  close(): void {
    this.wire.close();
  }

  private onText(text: string): void {
    this.received++;
    let message: InboundMessage;
    try {
      message = parseMessage(text) as InboundMessage;
    } catch {
      this.strays.push(text.slice(0, 300));
      return;
    }
    if (this.keepMessages) this.messages.push(message);
    if (message.method !== undefined) this.onNotification(message);
    else this.onResponse(message as ResponseMessage, text);
    this.wake();
  }

  private onResponse(message: ResponseMessage, text: string): void {
    const resolve = message.id === null ? undefined : this.pending.get(message.id);
    if (!resolve) {
      this.strays.push(text.slice(0, 300));
      return;
    }
    this.pending.delete(message.id!);
    resolve(message);
  }

  private onOutputFrame(bytes: Uint8Array): void {
    this.received++;
    const { processId, stream, seq, data } = decodeOutputFrame(bytes);
    const params = { processId, stream, seq, data };
    this.handlers.get(`process/output ${processId}`)?.(params);
    if (this.keepRecords) this.process(processId).addOutput(params);
    this.wake();
  }

  private onNotification(message: InboundMessage): void {
    const params = message.params;
    if (typeof params?.processId !== "string") return;
    this.handlers.get(`${message.method} ${params.processId}`)?.(params);
    if (!this.keepRecords) return;
    const record = this.process(params.processId);
    switch (message.method) {
      case "process/output":
        record.addOutput(params);
        break;
      case "process/exited":
        record.exited = params;
        break;
      case "process/closed":
        record.closed = params;
        break;
      case "process/outputSkipped":
        record.skipped.push(params);
        break;
    }
  }

  private wake(): void {
    for (const wake of [...this.waiters]) wake();
  }
}
