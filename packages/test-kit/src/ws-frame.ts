import { randomBytes } from "node:crypto";

// The websocket framing (RFC 6455) that the raw-TCP clients share: RawSocket
// (pull, for abuse tests) and WsClient (push, pausable, for the bench).

export const Opcode = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

export interface Frame {
  readonly fin: boolean;
  readonly opcode: number;
  readonly payload: Buffer;
  /** Bytes the frame took, header included. */
  readonly size: number;
}

export interface EncodeOptions {
  readonly fin?: boolean;
  /**
   * Clients must mask. Default: a random mask. `zero` uses an all-zero mask,
   * which leaves the payload as is: masking guards browsers from cache
   * poisoning, not a benchmark, and skipping the XOR keeps the client cheap.
   */
  readonly mask?: "random" | "zero";
}

/** One masked client frame. */
export function encodeFrame(opcode: number, payload: string | Uint8Array, options: EncodeOptions = {}): Buffer {
  const body = typeof payload === "string" ? Buffer.from(payload, "utf8") : payload;
  const length = body.length;
  const headerLength = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + 4 + length);
  frame[0] = (options.fin ?? true ? 0x80 : 0) | opcode;
  if (length < 126) {
    frame[1] = 0x80 | length;
  } else if (length < 65536) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  if (options.mask === "zero") {
    frame.fill(0, headerLength, headerLength + 4);
    frame.set(body, headerLength + 4);
  } else {
    const mask = randomBytes(4);
    mask.copy(frame, headerLength);
    for (let i = 0; i < length; i++) frame[headerLength + 4 + i] = body[i]! ^ mask[i & 3]!;
  }
  return frame;
}

export interface FrameHeader {
  readonly fin: boolean;
  readonly opcode: number;
  /** Where the 4-byte mask starts, when the frame is masked. */
  readonly maskOffset: number | undefined;
  /** Where the payload starts. */
  readonly payloadOffset: number;
  readonly payloadLength: number;
}

/** Reads the header at the start of `data` (14 bytes are always enough); undefined while it is incomplete. */
export function readHeader(data: Uint8Array): FrameHeader | undefined {
  if (data.length < 2) return undefined;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const fin = (data[0]! & 0x80) !== 0;
  const opcode = data[0]! & 0x0f;
  const masked = (data[1]! & 0x80) !== 0;
  let length = data[1]! & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (data.length < 4) return undefined;
    length = view.getUint16(2);
    offset = 4;
  } else if (length === 127) {
    if (data.length < 10) return undefined;
    length = Number(view.getBigUint64(2));
    offset = 10;
  }
  const maskOffset = masked ? offset : undefined;
  if (masked) offset += 4;
  if (data.length < offset) return undefined;
  return { fin, opcode, maskOffset, payloadOffset: offset, payloadLength: length };
}

/** The payload of a whole frame whose header is `header`, unmasked in place if it was masked. */
export function framePayload(frame: Buffer, header: FrameHeader): Buffer {
  const payload = frame.subarray(header.payloadOffset, header.payloadOffset + header.payloadLength);
  if (header.maskOffset !== undefined) {
    const mask = frame.subarray(header.maskOffset, header.maskOffset + 4);
    for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i & 3]!;
  }
  return payload;
}

/** Parses the frame at the start of `data`; undefined until all of it has arrived. */
export function parseFrame(data: Buffer): Frame | undefined {
  const header = readHeader(data);
  if (!header || data.length < header.payloadOffset + header.payloadLength) return undefined;
  const size = header.payloadOffset + header.payloadLength;
  return { fin: header.fin, opcode: header.opcode, payload: framePayload(data.subarray(0, size), header), size };
}

/** The text of an HTTP/1.1 websocket upgrade request, with extra headers. */
export function upgradeRequest(host: string, headers: Record<string, string> = {}, path = "/"): string {
  const lines = [
    `GET ${path} HTTP/1.1`,
    `Host: ${host}`,
    "Upgrade: websocket",
    "Connection: Upgrade",
    `Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}`,
    "Sec-WebSocket-Version: 13",
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  return `${lines.join("\r\n")}\r\n\r\n`;
}
