import { describe, expect, test } from "bun:test";
import { ErrorCode } from "@x/exec-protocol";
import { LineDecoder } from "../src/connection/line-decoder.ts";
import {
  ClientErrorCode,
  ConnectionClosedError,
  ExecServerError,
  ExecTimeoutError,
  LimitExceededError,
  SpawnFailedError,
} from "../src/index.ts";
import { createError, fromRpcError } from "../src/errors.ts";
import { HeadTailBuffer } from "../src/process/head-tail.ts";
import { OutputLog } from "../src/process/output-log.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("HeadTailBuffer", () => {
  test("keeps everything under the cap", () => {
    const buffer = new HeadTailBuffer(10);
    buffer.push(bytes("abc"));
    buffer.push(bytes("defg"));
    expect(buffer.text()).toBe("abcdefg");
    expect(buffer.omittedBytes).toBe(0);
  });

  test("keeps head and tail across many pushes and counts the middle", () => {
    const buffer = new HeadTailBuffer(6);
    for (const piece of ["ab", "cd", "ef", "gh", "ij"]) buffer.push(bytes(piece));
    expect(buffer.omittedBytes).toBe(4);
    expect(buffer.text()).toBe("abc\n[... 4 bytes omitted ...]\nhij");
  });

  test("never splits a UTF-8 character at either cut", () => {
    const buffer = new HeadTailBuffer(8);
    buffer.push(bytes("aé€ü".repeat(4))); // 1 + 2 + 3 + 2 bytes, four times
    const text = buffer.text();
    expect(text).not.toContain("\uFFFD");
    const [head, tail] = text.split(/\n\[\.\.\. \d+ bytes omitted \.\.\.\]\n/);
    expect(head).toBe("aé");
    expect(tail).toBe("ü");
    expect(text).toContain("[... 27 bytes omitted ...]");
  });
});

describe("OutputLog", () => {
  const chunk = (seq: number, size: number) => ({ seq, stream: "stdout" as const, data: new Uint8Array(size) });

  test("evicts the oldest chunks past its capacity, always keeping the newest", () => {
    const log = new OutputLog(1000);
    for (let seq = 1; seq <= 10; seq++) {
      log.append(chunk(seq, 300));
      log.evict(Number.POSITIVE_INFINITY);
    }
    expect(log.heldBytes).toBeLessThanOrEqual(1000);
    expect(log.evictedThrough).toBe(8);
    expect(log.after(0)?.seq).toBe(9);
    expect(log.after(9)?.seq).toBe(10);
    expect(log.after(10)).toBeUndefined();
    log.append(chunk(11, 5000));
    log.evict(Number.POSITIVE_INFINITY);
    expect(log.after(10)?.seq).toBe(11);
    expect(log.heldBytes).toBe(5064);
  });

  test("keeps what a reader still needs, and counts it", () => {
    const log = new OutputLog(1000);
    for (let seq = 1; seq <= 10; seq++) log.append(chunk(seq, 300));
    log.evict(4); // a reader has read up to seq 3
    expect(log.evictedThrough).toBe(3);
    expect(log.bytesAfter(3)).toBe(7 * 364);
    expect(log.heldBytes).toBe(7 * 364);
    expect(log.bytesAfter(9)).toBe(364);
    expect(log.bytesAfter(10)).toBe(0);
  });

  test("ignores duplicates and records skipped seqs", () => {
    const log = new OutputLog(1000);
    log.append(chunk(1, 1));
    log.append(chunk(1, 1));
    expect(log.heldBytes).toBe(65);
    log.skipTo(5);
    log.append(chunk(6, 1));
    expect(log.liveSeq).toBe(6);
    expect(log.after(1)?.seq).toBe(6);
  });
});

describe("LineDecoder", () => {
  test("joins lines and characters split across reads, drops CR and blank lines", () => {
    const decoder = new LineDecoder();
    const encoded = bytes('{"a":"é"}\r\n\n{"b":1}\n{"c"');
    const lines: string[] = [];
    for (let i = 0; i < encoded.byteLength; i++) lines.push(...decoder.push(encoded.subarray(i, i + 1)));
    lines.push(...decoder.push(bytes(":2}\n")));
    expect(lines).toEqual(['{"a":"é"}', '{"b":1}', '{"c":2}']);
  });
});

describe("errors", () => {
  test("one root; the subclass follows the code", () => {
    expect(createError(ClientErrorCode.Timeout, "t")).toBeInstanceOf(ExecTimeoutError);
    expect(createError(ClientErrorCode.ConnectionClosed, "c")).toBeInstanceOf(ConnectionClosedError);
    expect(createError(ClientErrorCode.SpawnFailed, "s")).toBeInstanceOf(SpawnFailedError);
    const plain = createError(ErrorCode.InvalidParams, "bad");
    expect(plain.constructor).toBe(ExecServerError);
    for (const error of [plain, createError(ClientErrorCode.Timeout, "t")]) expect(error).toBeInstanceOf(Error);
  });

  test("a server error keeps the server's code, message and data", () => {
    const error = fromRpcError("process/read", { code: -32602, message: "invalid params", data: { errors: [] } });
    expect(error).toMatchObject({ code: -32602, rpcCode: -32602, message: "invalid params", method: "process/read", data: { errors: [] } });
    expect(error.name).toBe("ExecServerError");
    const spawn = fromRpcError("process/start", { code: ErrorCode.SpawnFailed, message: "failed to spawn" });
    expect(spawn).toBeInstanceOf(SpawnFailedError);
    expect(spawn).toMatchObject({ code: ErrorCode.SpawnFailed, rpcCode: ErrorCode.SpawnFailed, name: "SpawnFailedError" });
    // The class comes from the code alone, never from the method name.
    expect(fromRpcError("process/start", { code: ErrorCode.InternalError, message: "boom" })).not.toBeInstanceOf(SpawnFailedError);
    expect(fromRpcError("process/read", { code: ErrorCode.TooManyRequests, message: "too many" })).toBeInstanceOf(LimitExceededError);
    expect(fromRpcError("process/wait", { code: ErrorCode.LimitExceeded, message: "waits" })).toBeInstanceOf(LimitExceededError);
  });
});
