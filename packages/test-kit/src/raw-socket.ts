import { connect, type Socket } from "node:net";
import { encodeFrame, Opcode, parseFrame, upgradeRequest as upgradeText } from "./ws-frame.ts";

/**
 * A websocket client written on a bare TCP socket, for what a proper client
 * will not do: send a partial upgrade request or half a frame, then vanish;
 * send exactly the headers a test wants; time the server's refusal.
 */
export class RawSocket {
  private buffered = Buffer.alloc(0);
  private readonly waiters = new Set<() => void>();
  ended = false;

  private constructor(readonly socket: Socket) {
    socket.on("data", (data: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, data]);
      this.wake();
    });
    const end = () => {
      this.ended = true;
      this.wake();
    };
    socket.on("end", end);
    socket.on("close", end);
    socket.on("error", end);
  }

  static open(port: number, host = "127.0.0.1"): Promise<RawSocket> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host }, () => {
        socket.off("error", reject);
        resolve(new RawSocket(socket));
      });
      socket.once("error", reject);
    });
  }

  write(data: string | Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(data, (error) => (error ? reject(error) : resolve())));
  }

  /** Drops the connection at once (RST when unread data is pending), no close frame. */
  destroy(): void {
    this.socket.resetAndDestroy();
  }

  /** Resolves with bytes up to and including `marker`, or rejects when the socket ends first. */
  async readUntil(marker: string, timeoutMs = 10_000): Promise<Buffer> {
    const needle = Buffer.from(marker);
    await this.waitFor(() => this.buffered.indexOf(needle) !== -1, timeoutMs, `"${marker.trim() || "marker"}"`);
    const end = this.buffered.indexOf(needle) + needle.length;
    const head = this.buffered.subarray(0, end);
    this.buffered = this.buffered.subarray(end);
    return head;
  }

  /** Reads one server frame (unmasked); returns its opcode and payload. */
  async readFrame(timeoutMs = 10_000): Promise<{ opcode: number; payload: Buffer }> {
    let parsed: { opcode: number; payload: Buffer; size: number } | undefined;
    await this.waitFor(() => (parsed = parseFrame(this.buffered)) !== undefined, timeoutMs, "a frame");
    this.buffered = this.buffered.subarray(parsed!.size);
    return { opcode: parsed!.opcode, payload: parsed!.payload };
  }

  private async waitFor(ready: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!ready()) {
      if (this.ended) throw new Error(`socket ended while waiting for ${what}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, 50);
        this.waiters.add(wake);
      });
    }
  }

  private wake(): void {
    for (const wake of [...this.waiters]) wake();
  }
}

/** The text of an HTTP/1.1 websocket upgrade request to 127.0.0.1:`port`, with extra headers. */
export function upgradeRequest(port: number, headers: Record<string, string> = {}, path = "/"): string {
  return upgradeText(`127.0.0.1:${port}`, headers, path);
}

export interface UpgradeOutcome {
  readonly status: number;
  readonly head: string;
  /** Open when the status is 101; the caller closes it. */
  readonly socket: RawSocket;
}

/** Sends an upgrade request and reads the response head. */
export async function rawUpgrade(port: number, headers: Record<string, string> = {}): Promise<UpgradeOutcome> {
  const socket = await RawSocket.open(port);
  await socket.write(upgradeRequest(port, headers));
  const head = (await socket.readUntil("\r\n\r\n")).toString("latin1");
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
  return { status, head, socket };
}

/** A masked client frame (text by default), as RFC 6455 requires of clients. */
export function clientFrame(payload: string | Uint8Array, opcode: number = Opcode.text, fin = true): Buffer {
  return encodeFrame(opcode, payload, { fin });
}

/**
 * Sends one JSON-RPC message as a text frame over a raw socket; for a request
 * (with `id`), reads frames until its response and returns that message.
 */
export async function rawCall(socket: RawSocket, message: { id?: string | number; method: string; params?: unknown }): Promise<any> {
  await socket.write(clientFrame(JSON.stringify(message)));
  if (message.id === undefined) return undefined;
  for (;;) {
    const frame = await socket.readFrame();
    if (frame.opcode !== 0x1) continue;
    const inbound = JSON.parse(frame.payload.toString());
    if (inbound.id === message.id) return inbound;
  }
}
