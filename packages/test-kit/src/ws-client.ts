import { connect, type Socket } from "node:net";
import { encodeFrame, framePayload, Opcode, readHeader, upgradeRequest } from "./ws-frame.ts";

export interface WsMessage {
  readonly text: boolean;
  readonly data: Buffer;
}

/**
 * A minimal websocket client over a raw TCP socket. The same client drives every
 * server in the benchmark, and unlike the built-in WebSocket it can stop reading
 * (`pause`, `limitRate`), which the slow-consumer workload needs to push back on
 * the server. For frames sent and read one at a time, see RawSocket.
 */
export class WsClient {
  onMessage: (message: WsMessage) => void = () => {};
  onClose: () => void = () => {};
  /** Raw bytes read from the socket, frames and headers included. */
  wireBytesIn = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private fragments: Buffer[] = [];
  private fragmentText = false;
  private closed = false;
  private bytesPerSec = 0;
  private readAllowedAt = 0;

  private constructor(private readonly socket: Socket) {}

  static connect(url: string, timeoutMs = 10_000): Promise<WsClient> {
    const target = new URL(url);
    const path = `${target.pathname}${target.search}`;
    return new Promise((resolve, reject) => {
      const socket = connect({ host: target.hostname, port: Number(target.port) });
      socket.setNoDelay(true);
      const timer = setTimeout(() => fail(new Error(`websocket connect to ${url} timed out`)), timeoutMs);
      let head = Buffer.alloc(0);
      const fail = (error: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      };
      const onHandshake = (chunk: Buffer) => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf("\r\n\r\n");
        if (end < 0) return;
        socket.off("data", onHandshake);
        socket.off("error", fail);
        clearTimeout(timer);
        const status = head.subarray(0, head.indexOf("\r\n")).toString("latin1");
        if (!/^HTTP\/1\.1 101/.test(status)) return fail(new Error(`websocket upgrade to ${url} refused: ${status}`));
        const client = new WsClient(socket);
        client.attach(head.subarray(end + 4));
        resolve(client);
      };
      socket.on("data", onHandshake);
      socket.on("error", fail);
      socket.once("connect", () => socket.write(upgradeRequest(target.host, {}, path || "/")));
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  sendText(text: string): void {
    this.sendFrame(Opcode.text, Buffer.from(text, "utf8"));
  }

  sendBinary(data: Uint8Array): void {
    this.sendFrame(Opcode.binary, data);
  }

  /** Reads no faster than this from now on: the socket is paused between reads. */
  limitRate(bytesPerSec: number): void {
    this.bytesPerSec = bytesPerSec;
    this.readAllowedAt = performance.now();
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  close(): void {
    if (this.closed) return;
    try {
      this.sendFrame(Opcode.close, Buffer.from([0x03, 0xe8]));
    } catch {
      // the socket is already gone
    }
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 500).unref();
    this.finish();
  }

  private attach(rest: Buffer): void {
    this.socket.on("data", (chunk: Buffer) => this.receive(chunk));
    this.socket.on("close", () => this.finish());
    this.socket.on("error", () => this.finish());
    if (rest.length > 0) this.receive(rest);
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
  }

  private receive(chunk: Buffer): void {
    this.wireBytesIn += chunk.length;
    if (this.bytesPerSec > 0) this.throttle(chunk.length);
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    while (this.parseFrame()) {}
  }

  private throttle(bytes: number): void {
    const now = performance.now();
    this.readAllowedAt = Math.max(this.readAllowedAt, now) + (bytes / this.bytesPerSec) * 1000;
    const waitMs = this.readAllowedAt - now;
    if (waitMs < 1 || this.closed) return;
    this.socket.pause();
    setTimeout(() => {
      if (!this.closed) this.socket.resume();
    }, waitMs);
  }

  /** Parses one frame from the pending bytes; false when more bytes are needed. */
  private parseFrame(): boolean {
    const header = readHeader(this.peek(Math.min(this.pendingBytes, 14)));
    if (!header) return false;
    const size = header.payloadOffset + header.payloadLength;
    if (this.pendingBytes < size) return false;
    this.handleFrame(header.fin, header.opcode, framePayload(this.take(size), header));
    return true;
  }

  private handleFrame(fin: boolean, opcode: number, payload: Buffer): void {
    if (opcode === 0x8) {
      this.close();
      return;
    }
    if (opcode === 0x9) {
      this.sendFrame(0xa, payload);
      return;
    }
    if (opcode === 0xa) return;
    if (opcode !== 0x0) this.fragmentText = opcode === 0x1;
    if (!fin) {
      this.fragments.push(payload);
      return;
    }
    const data = this.fragments.length > 0 ? Buffer.concat([...this.fragments, payload]) : payload;
    this.fragments = [];
    this.onMessage({ text: this.fragmentText, data });
  }

  private peek(n: number): Buffer {
    const first = this.pending[0]!;
    if (first.length >= n) return first.subarray(0, n);
    const parts: Buffer[] = [];
    let have = 0;
    for (const part of this.pending) {
      parts.push(part);
      have += part.length;
      if (have >= n) break;
    }
    return Buffer.concat(parts).subarray(0, n);
  }

  private take(n: number): Buffer {
    const first = this.pending[0]!;
    this.pendingBytes -= n;
    if (first.length === n) {
      this.pending.shift();
      return first;
    }
    if (first.length > n) {
      this.pending[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const all = Buffer.concat(this.pending);
    const rest = all.subarray(n);
    this.pending = rest.length > 0 ? [rest] : [];
    return all.subarray(0, n);
  }

  private sendFrame(opcode: number, payload: Uint8Array): void {
    this.socket.write(encodeFrame(opcode, payload, { mask: "zero" }));
  }
}
