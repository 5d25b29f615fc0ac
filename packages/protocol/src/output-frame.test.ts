import { expect, test } from "bun:test";
import { decodeOutputFrame, encodeOutputFrame } from "./output-frame.ts";

test("output frames round-trip, with and without a sessionId", () => {
  const data = crypto.getRandomValues(new Uint8Array(1000));
  for (const frame of [
    { processId: "proc-1", stream: "stdout" as const, seq: 1, data },
    { processId: "☃ shell", stream: "pty" as const, seq: 2 ** 40 + 3, sessionId: "6f1c", data: new Uint8Array() },
  ]) {
    const decoded = decodeOutputFrame(encodeOutputFrame(frame));
    expect({ ...decoded, data: [...decoded.data] }).toEqual({ ...frame, data: [...frame.data] });
  }
});

test("malformed frames are refused", () => {
  expect(() => decodeOutputFrame(new Uint8Array([1, 0]))).toThrow();
  expect(() => decodeOutputFrame(new Uint8Array(20).fill(9))).toThrow();
  const frame = encodeOutputFrame({ processId: "p", stream: "stderr", seq: 1, data: new Uint8Array(4) });
  frame[10] = 200; // processId length past the end
  expect(() => decodeOutputFrame(frame)).toThrow();
});
