import type { Daemon } from "./daemon.ts";

export type Json = Record<string, any>;

/**
 * A deliberately thin protocol client for tests: raw JSON messages over the
 * daemon's stdin/stdout or a websocket, every inbound message recorded in order.
 */
export class RawClient {
  readonly messages: Json[] = [];
  private nextId = 1;
  private waiters: Array<() => void> = [];
  closed = false;

  private constructor(
    private readonly sendText: (text: string) => void,
    private readonly closeTransport: () => void,
  ) {}

  static overStdio(daemon: Daemon): RawClient {
    const stdin = daemon.proc.stdin;
    const client = new RawClient(
      (text) => {
        stdin.write(`${text}\n`);
        void stdin.flush();
      },
      () => void stdin.end(),
    );
    void (async () => {
      const decoder = new TextDecoder();
      let buffer = "";
      for await (const chunk of daemon.proc.stdout) {
        buffer += decoder.decode(chunk, { stream: true });
        let newline: number;
        while ((newline = buffer.indexOf("\n")) !== -1) {
          client.push(JSON.parse(buffer.slice(0, newline)));
          buffer = buffer.slice(newline + 1);
        }
      }
      client.markClosed();
    })();
    return client;
  }

  static async overWebSocket(url: string, headers: Record<string, string> = {}): Promise<RawClient> {
    const ws = new WebSocket(url, { headers } as unknown as string[]);
    ws.binaryType = "arraybuffer";
    const client = new RawClient(
      (text) => ws.send(text),
      () => ws.close(),
    );
    ws.onmessage = (event) => client.push(JSON.parse(String(event.data)));
    ws.onclose = () => client.markClosed();
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error(`websocket to ${url} failed`));
    });
    return client;
  }

  static async connect(daemon: Daemon): Promise<RawClient> {
    return daemon.url ? RawClient.overWebSocket(daemon.url) : RawClient.overStdio(daemon);
  }

  sendRaw(text: string): void {
    this.sendText(text);
  }

  send(message: Json): void {
    this.sendText(JSON.stringify(message));
  }

  notify(method: string, params: unknown = {}): void {
    this.send({ method, params });
  }

  /** Sends a request and resolves with the whole response message ({id, result} or {id, error}). */
  async request(method: string, params?: unknown, id: string | number = this.nextId++): Promise<Json> {
    this.send(params === undefined ? { id, method } : { id, method, params });
    return this.waitFor((m) => m.id === id && ("result" in m || "error" in m));
  }

  /** Like request, but throws on an error response and returns the result. */
  async call(method: string, params?: unknown): Promise<Json> {
    const response = await this.request(method, params);
    if (response.error) throw new Error(`${method} failed: ${JSON.stringify(response.error)}`);
    return response.result;
  }

  async handshake(clientName = "test"): Promise<void> {
    await this.call("initialize", { clientName });
    this.notify("initialized");
  }

  /** Resolves with the first recorded message (past or future) matching the predicate. */
  async waitFor(predicate: (message: Json) => boolean, timeoutMs = 15_000): Promise<Json> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(predicate);
      if (found) return found;
      if (this.closed) throw new Error("connection closed while waiting");
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`timed out waiting; last messages: ${JSON.stringify(this.messages.slice(-3))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  notifications(method: string, processId?: string): Json[] {
    return this.messages
      .filter((m) => m.method === method && (processId === undefined || m.params.processId === processId))
      .map((m) => m.params);
  }

  /** Concatenated output bytes of a process, from live notifications, ordered by seq. */
  output(processId: string, stream?: string): Buffer {
    const chunks = this.notifications("process/output", processId)
      .filter((n) => stream === undefined || n.stream === stream)
      .sort((a, b) => a.seq - b.seq);
    return Buffer.concat(chunks.map((n) => Buffer.from(n.chunk, "base64")));
  }

  async waitExited(processId: string, timeoutMs?: number): Promise<Json> {
    const message = await this.waitFor((m) => m.method === "process/exited" && m.params.processId === processId, timeoutMs);
    return message.params;
  }

  close(): void {
    this.closeTransport();
  }

  private push(message: Json): void {
    this.messages.push(message);
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  private markClosed(): void {
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}

export function b64(text: string | Uint8Array): string {
  return Buffer.from(text).toString("base64");
}

export const BASE_ENV = { PATH: "/usr/bin:/bin" };

/** A process/start params object with test defaults. */
export function startParams(processId: string, argv: string[], extra: Json = {}): Json {
  return { processId, argv, cwd: "/tmp", env: BASE_ENV, tty: false, arg0: null, ...extra };
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
