import { decodeOutputFrame, parseMessage } from "@x/exec-protocol";
import { createSocket, type SocketCredentials } from "#platform";
import { closedError, timeoutError } from "../errors.ts";
import { settledWithin } from "../timers.ts";
import type { OutboundMessage, Transport, TransportReceiver } from "@x/exec-protocol";

export interface WebSocketTransportOptions extends SocketCredentials {
  /** `ws://IP:PORT`, or `unix:///path.sock` for a server listening on a unix socket. */
  readonly url: string;
  readonly connectTimeoutMs: number;
}

const CLOSE_WAIT_MS = 1000;

type Pausable = { pause?(): void; resume?(): void };

/** Opens the socket; resolves once it is open. One JSON message per text frame. */
export async function openWebSocketTransport(options: WebSocketTransportOptions): Promise<Transport> {
  const { url, connectTimeoutMs } = options;
  let socket: WebSocket;
  // Bun's WebSocket client reaches a unix socket through the `ws+unix://` scheme.
  const target = url.startsWith("unix://") ? `ws+unix://${url.slice("unix://".length)}` : url;
  try {
    // Bun sends the token as a header; a browser as a subprotocol value (platform.browser.ts).
    socket = await createSocket(target, options);
  } catch (error) {
    throw closedError(`cannot connect to ${url}: ${(error as Error).message}`, { cause: error });
  }
  return new Promise((resolve, reject) => {
    let lastError = "";
    const fail = (error: Error) => {
      clearTimeout(timer);
      socket.onopen = socket.onerror = socket.onclose = null;
      socket.close();
      reject(error);
    };
    const timer = setTimeout(
      () => fail(timeoutError(`websocket ${url} did not open within ${connectTimeoutMs} ms`)),
      connectTimeoutMs,
    );
    socket.onerror = (event) => {
      lastError = (event as ErrorEvent).message ?? "";
    };
    socket.onclose = (event) => {
      const why = lastError || `code ${event.code}${event.reason ? ` ${event.reason}` : ""}`;
      fail(closedError(`cannot connect to ${url}: ${why}`));
    };
    socket.onopen = () => {
      clearTimeout(timer);
      socket.onopen = socket.onerror = socket.onclose = null;
      resolve(new WebSocketTransport(socket));
    };
  });
}

class WebSocketTransport implements Transport {
  private receiver: TransportReceiver | undefined;
  private ended = false;
  private readonly closedPromise: Promise<void>;

  constructor(private readonly socket: WebSocket) {
    this.closedPromise = new Promise((resolve) => {
      socket.onclose = (event) => {
        resolve();
        this.finish(`websocket closed (code ${event.code}${event.reason ? ` ${event.reason}` : ""})`);
      };
    });
    socket.binaryType = "arraybuffer";
    socket.onmessage = (event) => {
      if (this.ended) return;
      if (typeof event.data !== "string") {
        this.receiveBinary(new Uint8Array(event.data as ArrayBuffer));
        return;
      }
      const text = event.data;
      let message: unknown;
      try {
        message = parseMessage(text);
      } catch {
        this.finish("the server sent a frame that is not JSON");
        void this.close();
        return;
      }
      this.receiver?.message(message);
    };
  }

  start(receiver: TransportReceiver): void {
    this.receiver = receiver;
  }

  /**
   * A binary frame is a `process/output` (asked for with `initialize {binaryOutput}`):
   * delivered with its bytes as `data`, never decoded as JSON or base64.
   */
  private receiveBinary(bytes: Uint8Array): void {
    let frame;
    try {
      frame = decodeOutputFrame(bytes);
    } catch (error) {
      this.finish(`the server sent a binary frame that is not an output frame: ${(error as Error).message}`);
      void this.close();
      return;
    }
    this.receiver?.message({ method: "process/output", params: frame });
  }

  send(message: OutboundMessage): void {
    if (this.ended) return;
    this.socket.send(JSON.stringify(message));
  }

  // Bun's WebSocket can stop reading (real backpressure); a browser's cannot.
  pause(): void {
    (this.socket as Pausable).pause?.();
  }

  resume(): void {
    (this.socket as Pausable).resume?.();
  }

  async close(): Promise<void> {
    this.ended = true;
    if (this.socket.readyState !== WebSocket.CLOSED) {
      this.resume(); // a paused socket would never read the peer's close frame
      this.socket.close(1000, "client closed");
    }
    await settledWithin(this.closedPromise, CLOSE_WAIT_MS);
  }

  private finish(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.receiver?.closed(reason);
  }
}
