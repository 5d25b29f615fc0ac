import { LineFramer } from "@x/exec-protocol";
import type { WsClient } from "./ws-client.ts";

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
  /**
   * Binary messages (websocket only: exec-server's opt-in output frames). Without
   * a binary listener they are decoded as text and go to `onMessage`.
   */
  onBinary(listener: (bytes: Uint8Array) => void): void;
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
  private readonly binaryListeners: Array<(bytes: Uint8Array) => void> = [];
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

  onBinary(listener: (bytes: Uint8Array) => void): void {
    this.binaryListeners.push(listener);
  }

  protected deliver(text: string): void {
    for (const listener of this.listeners) listener(text);
  }

  protected deliverBinary(bytes: Uint8Array): void {
    if (this.binaryListeners.length === 0) this.deliver(new TextDecoder().decode(bytes));
    for (const listener of this.binaryListeners) listener(bytes);
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
      if (typeof event.data === "string") this.deliver(event.data);
      else this.deliverBinary(new Uint8Array(event.data as ArrayBuffer));
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

/**
 * A websocket over the raw-TCP WsClient rather than the built-in WebSocket: it
 * can stop reading (`client.pause()`, `limitRate`), which the bench's slow
 * consumer needs.
 */
class WsClientWire extends BaseWire implements Wire {
  readonly kind = "websocket";

  constructor(private readonly ws: WsClient) {
    super();
    ws.onMessage = (message) => {
      if (message.text) this.deliver(message.data.toString("utf8"));
      else this.deliverBinary(message.data);
    };
    ws.onClose = () => this.markClosed({ reason: "socket closed" });
  }

  send(text: string): void {
    if (!this.isClosed) this.ws.sendText(text);
  }

  sendRaw(data: string | Uint8Array): void {
    if (this.isClosed) return;
    if (typeof data === "string") this.ws.sendText(data);
    else this.ws.sendBinary(data);
  }

  async flush(): Promise<void> {}

  close(): void {
    this.ws.close();
  }

  destroy(): void {
    this.ws.close();
  }
}

export function wsClientWire(ws: WsClient): Wire {
  return new WsClientWire(ws);
}

/** A child speaking the protocol on stdin/stdout: the daemon's stdio transport. */
export interface StdioPeer {
  readonly proc: { readonly stdin: Bun.FileSink; readonly stdout: ReadableStream<Uint8Array> };
}

/** Longer lines than this from the daemon are a failure, not something to buffer forever. */
const MAX_LINE_BYTES = 256 * 1024 * 1024;

class StdioWire extends BaseWire implements Wire {
  readonly kind = "stdio";
  private ended = false;

  constructor(private readonly daemon: StdioPeer) {
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
    const framer = new LineFramer(MAX_LINE_BYTES);
    let reason = "stdout ended";
    try {
      for await (const chunk of this.daemon.proc.stdout) {
        for (const line of framer.push(chunk)) this.deliver(line);
      }
      if (framer.pendingBytes > 0) reason = `stdout ended mid-line (${framer.pendingBytes} bytes)`;
    } catch (error) {
      reason = `stdout failed: ${(error as Error).message}`;
    }
    this.markClosed({ reason });
  }
}

/** The protocol over a stdio daemon's stdin/stdout (its only connection). */
export function stdioWire(daemon: StdioPeer): Wire {
  return new StdioWire(daemon);
}
