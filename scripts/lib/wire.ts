import type { DaemonProcess } from "./daemon.ts";

export interface CloseInfo {
  /** Websocket close code (1006 when the connection ended without a close frame); undefined for stdio. */
  readonly code?: number;
  readonly reason: string;
}

/**
 * One connection to the daemon at the framing level: text messages in and out,
 * no JSON. Websocket: one message per frame. Stdio: one message per line.
 */
export interface Wire {
  readonly kind: "stdio" | "websocket";
  /** Sends one message (a newline is added on stdio). */
  send(text: string): void;
  /** Sends bytes as they are: a binary frame on websocket, raw bytes (no newline added) on stdio. */
  sendRaw(data: string | Uint8Array): void;
  onMessage(listener: (text: string) => void): void;
  /** Resolves once the connection is closed, from either side. */
  readonly closed: Promise<CloseInfo>;
  readonly isClosed: boolean;
  /** Resolves when what was sent has been handed to the kernel (or mostly so). */
  flush(): Promise<void>;
  /** Polite close: a close frame, or end of stdin. */
  close(): void;
  /** Abrupt close: the TCP connection is dropped without a close frame (stdio: end of stdin). */
  destroy(): void;
}

abstract class BaseWire {
  private readonly listeners: Array<(text: string) => void> = [];
  private closedFlag = false;
  private resolveClosed!: (info: CloseInfo) => void;
  readonly closed = new Promise<CloseInfo>((resolve) => {
    this.resolveClosed = resolve;
  });

  get isClosed(): boolean {
    return this.closedFlag;
  }

  onMessage(listener: (text: string) => void): void {
    this.listeners.push(listener);
  }

  protected deliver(text: string): void {
    for (const listener of this.listeners) listener(text);
  }

  protected markClosed(info: CloseInfo): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.resolveClosed(info);
  }
}

const BUFFERED_HIGH_WATER = 8 * 1024 * 1024;

class WebSocketWire extends BaseWire implements Wire {
  readonly kind = "websocket";

  constructor(private readonly ws: WebSocket) {
    super();
    ws.binaryType = "arraybuffer";
    ws.onmessage = (event) => {
      this.deliver(typeof event.data === "string" ? event.data : new TextDecoder().decode(event.data as ArrayBuffer));
    };
    ws.onclose = (event) => this.markClosed({ code: event.code, reason: event.reason });
  }

  send(text: string): void {
    if (!this.isClosed) this.ws.send(text);
  }

  sendRaw(data: string | Uint8Array): void {
    if (!this.isClosed) this.ws.send(data);
  }

  async flush(): Promise<void> {
    while (!this.isClosed && this.ws.bufferedAmount > BUFFERED_HIGH_WATER) await Bun.sleep(1);
  }

  close(): void {
    if (!this.isClosed) this.ws.close();
  }

  destroy(): void {
    this.ws.terminate();
  }
}

/** Opens a websocket to the daemon; rejects with the failure (e.g. a 401 or 403 upgrade refusal). */
export function openWebSocketWire(url: string, headers: Record<string, string> = {}): Promise<Wire> {
  const ws = new WebSocket(url, { headers });
  return new Promise((resolve, reject) => {
    ws.onopen = () => resolve(new WebSocketWire(ws));
    ws.onerror = (event) => reject(new Error(`websocket to ${url} failed: ${(event as ErrorEvent).message ?? "error"}`));
  });
}

class StdioWire extends BaseWire implements Wire {
  readonly kind = "stdio";
  private ended = false;

  constructor(private readonly daemon: DaemonProcess) {
    super();
    void this.readLoop();
  }

  send(text: string): void {
    this.sendRaw(`${text}\n`);
  }

  sendRaw(data: string | Uint8Array): void {
    if (this.ended) return;
    try {
      this.daemon.proc.stdin.write(data);
    } catch {
      this.ended = true; // the daemon is gone; its stdout EOF reports the close
    }
  }

  async flush(): Promise<void> {
    if (this.ended) return;
    try {
      await this.daemon.proc.stdin.flush();
    } catch {
      this.ended = true;
    }
  }

  close(): void {
    if (this.ended) return;
    this.ended = true;
    void Promise.resolve()
      .then(() => this.daemon.proc.stdin.end())
      .catch(() => {});
  }

  destroy(): void {
    this.close();
  }

  private async readLoop(): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const chunk of this.daemon.proc.stdout) {
        buffer += decoder.decode(chunk, { stream: true });
        let start = 0;
        for (let newline = buffer.indexOf("\n"); newline !== -1; newline = buffer.indexOf("\n", start)) {
          this.deliver(buffer.slice(start, newline));
          start = newline + 1;
        }
        buffer = buffer.slice(start);
      }
    } catch {
      // stdout failed: treated as a close
    }
    this.markClosed({ reason: buffer.length > 0 ? `stdout ended mid-line: ${buffer.slice(0, 200)}` : "stdout ended" });
  }
}

/** The protocol over a stdio daemon's stdin/stdout (its only connection). */
export function stdioWire(daemon: DaemonProcess): Wire {
  return new StdioWire(daemon);
}
