import { decodeOutputFrame } from "@x/exec-protocol";

/** One text message per frame or line, whichever the transport uses. */
export interface MessageChannel {
  send(text: string): void;
  onMessage: (text: string) => void;
  /** Binary messages (websocket only): exec-server's opt-in output frames. */
  onBinary?: (bytes: Uint8Array) => void;
  onClose: () => void;
  close(): void;
}

interface Pending {
  resolve(result: unknown): void;
  reject(error: Error): void;
}

type NotificationHandler = (params: Record<string, unknown>) => void;

/**
 * The exec-server protocol spoken directly (no SDK): requests with ids, and
 * notifications routed by method and processId.
 */
export class RpcClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly handlers = new Map<string, NotificationHandler>();

  constructor(private readonly channel: MessageChannel) {
    channel.onMessage = (text) => this.receive(text);
    channel.onClose = () => this.failAll(new Error("connection closed"));
  }

  static async open(channel: MessageChannel, options: { binaryOutput?: boolean } = {}): Promise<RpcClient> {
    const client = new RpcClient(channel);
    channel.onBinary = (bytes) => {
      const { processId, stream, seq, data } = decodeOutputFrame(bytes);
      client.handlers.get(`process/output ${processId}`)?.({ processId, stream, seq, data });
    };
    await client.request("initialize", { clientName: "exec-server-bench", binaryOutput: options.binaryOutput === true });
    channel.send(JSON.stringify({ method: "initialized", params: {} }));
    return client;
  }

  request<T = Record<string, unknown>>(method: string, params: unknown): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (result: unknown) => void, reject });
      this.channel.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Routes `method` notifications about `processId` to `handler` (one per pair). */
  on(method: string, processId: string, handler: NotificationHandler): void {
    this.handlers.set(`${method} ${processId}`, handler);
  }

  off(processId: string): void {
    for (const method of ["process/output", "process/exited", "process/closed", "process/outputSkipped"]) {
      this.handlers.delete(`${method} ${processId}`);
    }
  }

  close(): void {
    this.channel.close();
  }

  private receive(text: string): void {
    const message = JSON.parse(text) as {
      id?: number;
      method?: string;
      params?: Record<string, unknown>;
      result?: unknown;
      error?: { code: number; message: string };
    };
    if (message.method !== undefined) {
      const params = message.params ?? {};
      this.handlers.get(`${message.method} ${String(params.processId)}`)?.(params);
      return;
    }
    if (message.id === undefined) return;
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    if (message.error) pending.reject(new Error(`${message.error.message} (${message.error.code})`));
    else pending.resolve(message.result);
  }

  private failAll(error: Error): void {
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}
