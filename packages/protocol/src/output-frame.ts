import type { OutputStream } from "./schemas/common.ts";
import { allocUnsafeBytes } from "#base64";
import type { OutputNotification } from "./schemas/notifications.ts";
import type { DecodedOutputChunk } from "./schemas/process-io.ts";

/**
 * The opt-in binary form of `process/output` (negotiated with
 * `initialize {binaryOutput: true}`, websocket only): one binary frame per
 * chunk, raw bytes instead of base64 inside JSON. Little-endian layout:
 *
 *   u8   kind        1 = process output
 *   u8   stream      0 stdout, 1 stderr, 2 pty
 *   f64  seq
 *   u16  processId length P, then P bytes of UTF-8
 *   u16  sessionId length S (0 unless the process is attached from another session), then S bytes
 *   ...  the output bytes
 */
export type OutputFrame = Pick<OutputNotification, "processId" | "sessionId"> & DecodedOutputChunk;

const KIND_OUTPUT = 1;
const STREAMS: readonly OutputStream[] = ["stdout", "stderr", "pty"];
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

export function encodeOutputFrame(frame: OutputFrame): Uint8Array {
  const processId = encoder.encode(frame.processId);
  const sessionId = encoder.encode(frame.sessionId ?? "");
  const headerBytes = 14 + processId.byteLength + sessionId.byteLength;
  // Every byte is written below: skip the zero-fill, a measurable share of the hot path.
  const bytes = allocUnsafeBytes(headerBytes + frame.data.byteLength);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  view.setUint8(0, KIND_OUTPUT);
  view.setUint8(1, STREAMS.indexOf(frame.stream));
  view.setFloat64(2, frame.seq, true);
  view.setUint16(10, processId.byteLength, true);
  bytes.set(processId, 12);
  view.setUint16(12 + processId.byteLength, sessionId.byteLength, true);
  bytes.set(sessionId, 14 + processId.byteLength);
  bytes.set(frame.data, headerBytes);
  return bytes;
}

/** Throws on a frame that is not a well-formed output frame. */
export function decodeOutputFrame(bytes: Uint8Array): OutputFrame {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 14 || view.getUint8(0) !== KIND_OUTPUT) throw new Error("not an output frame");
  const stream = STREAMS[view.getUint8(1)];
  if (stream === undefined) throw new Error("output frame with an unknown stream");
  const seq = view.getFloat64(2, true);
  const processIdLength = view.getUint16(10, true);
  const sessionIdAt = 12 + processIdLength;
  if (bytes.byteLength < sessionIdAt + 2) throw new Error("truncated output frame");
  const sessionIdLength = view.getUint16(sessionIdAt, true);
  const dataAt = sessionIdAt + 2 + sessionIdLength;
  if (bytes.byteLength < dataAt) throw new Error("truncated output frame");
  const sessionId = decoder.decode(bytes.subarray(sessionIdAt + 2, dataAt));
  return {
    processId: decoder.decode(bytes.subarray(12, sessionIdAt)),
    stream,
    seq,
    ...(sessionId !== "" && { sessionId }),
    data: bytes.subarray(dataAt),
  };
}
