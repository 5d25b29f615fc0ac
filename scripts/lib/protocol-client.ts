import type {
  MethodName,
  NotificationParamsOf,
  ParamsOf,
  ResultOf,
  RpcErrorObject,
} from "@x/exec-protocol";
import type { Wire } from "./wire.ts";

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
  chunkCount = 0;
  lastSeq = 0;
  /** Seqs that arrived out of order or twice. */
  seqErrors = 0;
  exited: NotificationParamsOf<"process/exited"> | undefined;
  closed: NotificationParamsOf<"process/closed"> | undefined;
  readonly skipped: Array<NotificationParamsOf<"process/outputSkipped">> = [];
  lastOutputAt = 0;

  constructor(private readonly keepOutput: boolean) {}

  addOutput(params: NotificationParamsOf<"process/output">): void {
    const data = Buffer.from(params.chunk, "base64");
    const seq = params.seq ?? this.lastSeq + 1;
    if (seq !== this.lastSeq + 1) this.seqErrors++;
    this.lastSeq = Math.max(this.lastSeq, seq);
    this.bytes += data.byteLength;
    this.chunkCount++;
    this.lastOutputAt = performance.now();
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
  /** Keep output bytes per process (default true); false only counts them. */
  readonly keepOutput?: boolean;
}

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
 * A thin JSON-RPC client over a Wire, for driving the daemon in tests and
 * scripts: requests by id, notifications folded into per-process records.
 */
export class ProtocolClient {
  private nextId = 1;
  private readonly pending = new Map<string | number, (response: ResponseMessage) => void>();
  private readonly records = new Map<string, ProcessRecord>();
  private readonly waiters = new Set<() => void>();
  private readonly keepOutput: boolean;
  /** Messages that were not JSON, responses to unknown ids, and the like. */
  readonly strays: string[] = [];
  received = 0;

  constructor(
    readonly wire: Wire,
    options: ProtocolClientOptions = {},
  ) {
    this.keepOutput = options.keepOutput ?? true;
    wire.onMessage((text) => this.onText(text));
    void wire.closed.then(() => {
      for (const resolve of this.pending.values()) resolve({ id: null, error: { code: 0, message: "connection closed" } });
      this.pending.clear();
      this.wake();
    });
  }

  get closed(): boolean {
    return this.wire.isClosed;
  }

  /** Sends a request; resolves with the response message (result or error). */
  request(method: string, params?: unknown): Promise<ResponseMessage> {
    const id = this.nextId++;
    const promise = new Promise<ResponseMessage>((resolve) => this.pending.set(id, resolve));
    this.wire.send(JSON.stringify(params === undefined ? { id, method } : { id, method, params }));
    return promise;
  }

  /** Typed request that throws ResponseError on an error response. */
  async call<M extends MethodName>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
    return (await this.callAny(method, params)) as ResultOf<M>;
  }

  /** For methods not (yet) in the Methods table. */
  async callAny(method: string, params: unknown): Promise<any> {
    const response = await this.request(method, params);
    if (response.error) throw new ResponseError(method, response.error);
    return response.result;
  }

  notify(method: string, params: unknown = {}): void {
    this.wire.send(JSON.stringify({ method, params }));
  }

  async handshake(clientName = "reliability"): Promise<void> {
    await this.call("initialize", { clientName });
    this.notify("initialized");
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

  waitExited(processId: string, timeoutMs = 30_000): Promise<void> {
    return this.until(() => this.process(processId).exited !== undefined, timeoutMs, `${processId} to exit`);
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
      message = JSON.parse(text) as InboundMessage;
    } catch {
      this.strays.push(text.slice(0, 300));
      return;
    }
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

  private onNotification(message: InboundMessage): void {
    const params = message.params;
    if (typeof params?.processId !== "string") return;
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
