import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";

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

/** The text of an HTTP/1.1 websocket upgrade request with extra headers. */
export function upgradeRequest(port: number, headers: Record<string, string> = {}, path = "/"): string {
  const lines = [
    `GET ${path} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    "Upgrade: websocket",
    "Connection: Upgrade",
    `Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}`,
    "Sec-WebSocket-Version: 13",
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  return `${lines.join("\r\n")}\r\n\r\n`;
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
export function clientFrame(payload: string | Uint8Array, opcode = 0x1, fin = true): Buffer {
  const body = typeof payload === "string" ? Buffer.from(payload) : Buffer.from(payload);
  const mask = randomBytes(4);
  let header: Buffer;
  if (body.length < 126) {
    header = Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | body.length]);
  } else if (body.length < 65536) {
    header = Buffer.alloc(4);
    header[0] = (fin ? 0x80 : 0) | opcode;
    header[1] = 0x80 | 126;
    header.writeUInt16BE(body.length, 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = (fin ? 0x80 : 0) | opcode;
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(body.length), 2);
  }
  const masked = Buffer.alloc(body.length);
  for (let i = 0; i < body.length; i++) masked[i] = body[i]! ^ mask[i & 3]!;
  return Buffer.concat([header, mask, masked]);
}

function parseFrame(data: Buffer): { opcode: number; payload: Buffer; size: number } | undefined {
  if (data.length < 2) return undefined;
  const opcode = data[0]! & 0x0f;
  let length = data[1]! & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (data.length < 4) return undefined;
    length = data.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (data.length < 10) return undefined;
    length = Number(data.readBigUInt64BE(2));
    offset = 10;
  }
  if (data.length < offset + length) return undefined;
  return { opcode, payload: data.subarray(offset, offset + length), size: offset + length };
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
