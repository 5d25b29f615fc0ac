import { describe, expect, test } from "bun:test";
import { ErrorCode } from "@x/exec-protocol";
import {
  ClientErrorCode,
  ConnectionClosedError,
  ExecServerClient,
  ExecServerError,
  ExecTimeoutError,
  LimitExceededError,
  SpawnFailedError,
} from "../src/index.ts";
import { createError, fromRpcError } from "../src/errors.ts";
import { importServer, serverBinPath } from "../src/local-server.ts";
import { OutputLog } from "../src/process/output-log.ts";
import { HOLD_IDLE_MS, ProcessState } from "../src/process/process-state.ts";


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

describe("ProcessState: the hold of a process being started", () => {
  const chunk = (seq: number, size: number) => ({ seq, stream: "stdout" as const, data: new Uint8Array(size) });

  test("output before the start answer is held without a pause; after it, a backlog pauses until the first reader", () => {
    const backlog: boolean[] = [];
    const state = new ProcessState("p", 1000, (_, backlogged) => backlog.push(backlogged));
    state.holdForStart();
    for (let seq = 1; seq <= 10; seq++) state.onOutput(chunk(seq, 300));
    expect(state.log.evictedThrough).toBe(0);
    expect(backlog).toEqual([]); // a pause now would hold back the start answer behind this output
    state.started();
    expect(backlog).toEqual([true]);
    const reader = { seq: 0, lastActive: 0, waiting: false };
    state.touch(reader); // the first reader takes over from seq 1
    for (let seq = 1; seq <= 10; seq++) state.progressed(Object.assign(reader, { seq }));
    expect(backlog).toEqual([true, false]);
    expect(state.log.heldBytes).toBeLessThanOrEqual(1000);
  });

  test("without a reader the hold ends HOLD_IDLE_MS after the answer, even when no more output comes", async () => {
    const state = new ProcessState("p", 1000);
    state.holdForStart();
    for (let seq = 1; seq <= 10; seq++) state.onOutput(chunk(seq, 300));
    state.onClosed(10);
    state.started();
    expect(state.log.evictedThrough).toBe(0);
    await Bun.sleep(HOLD_IDLE_MS + 100);
    expect(state.log.evictedThrough).toBe(8);
    expect(state.log.heldBytes).toBeLessThanOrEqual(1000);
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

describe("optional server package", () => {
  test("when it is missing, the error names the command that installs it", async () => {
    const imported = await importServer("exec-server-not-installed").catch((error: unknown) => error);
    expect(imported).toBeInstanceOf(SpawnFailedError);
    expect((imported as Error).message).toContain("bun add exec-server-not-installed");
    expect(() => serverBinPath("exec-server-not-installed")).toThrow("bun add exec-server-not-installed");
  });

  test("when it is installed, both ways of starting it resolve", async () => {
    expect(typeof (await importServer()).createInProcessTransport).toBe("function");
    expect(serverBinPath()).toEndWith("bin/exec-server.ts");
  });
});

describe("stdio line bound", () => {
  test("a line from the server longer than maxMessageBytes closes the connection with the reason", async () => {
    // A "server" that answers anything with one 5000-byte line.
    const child = Bun.spawn(["sh", "-c", "head -c 5000 /dev/zero | tr '\\0' a; echo; sleep 5"], {
      stdin: "pipe",
      stdout: "pipe",
      env: { PATH: "/usr/bin:/bin" },
    });
    try {
      const connecting = ExecServerClient.connectStdio({ readable: child.stdout, writable: child.stdin, maxMessageBytes: 1024 });
      const error = await connecting.catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ConnectionClosedError);
      expect((error as Error).message).toContain("larger than the 1024-byte limit");
    } finally {
      child.kill("SIGKILL");
      await child.exited;
    }
  });
});
