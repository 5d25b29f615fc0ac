import { expect, test } from "bun:test";
import { ErrorCode } from "@x/exec-protocol";
import { ClientErrorCode, ExecServerError, SpawnFailedError } from "../../src/index.ts";
import { outputMatching } from "./output-helpers.ts";
import { isAlive } from "./processes.ts";
import type { SuiteContext } from "./suite-context.ts";

/** stdin, signals, terminals, server-side waits, errors and events. */
export function controlTests(ctx: SuiteContext): void {
  test("closeStdin: EOF for a pipe, VEOF for a PTY", async () => {
    const pipe = await ctx.client.start({ argv: ["cat"], pipeStdin: true });
    await pipe.write("abc");
    await pipe.write(new Uint8Array([0x64, 0x65, 0x66]));
    await pipe.closeStdin();
    expect(await pipe.exited).toEqual({ exitCode: 0, signal: null });
    expect(await pipe.text()).toBe("abcdef");

    const pty = await ctx.client.start({ argv: ["cat"], tty: true });
    await pty.write("xyz\n");
    await outputMatching(pty, /xyz\r\n[^]*xyz\r\n/);
    await pty.closeStdin();
    expect(await pty.exited).toEqual({ exitCode: 0, signal: null });
  });

  test("a pipe process without pipeStdin rejects writes with the server's error", async () => {
    const process = await ctx.client.start({ argv: ["sleep", "5"] });
    const error = await process.write("x").catch((e) => e);
    expect(error).toBeInstanceOf(ExecServerError);
    expect(error.code).toBe(ErrorCode.InvalidRequest);
    expect(error.message).toContain("stdin");
    await process.terminate();
  });

  test("signals reach the process's trap handlers", async () => {
    const process = await ctx.client.start({
      argv: ["sh", "-c", 'trap "echo got-usr1" USR1; trap "echo got-term; exit 7" TERM; echo ready; while :; do sleep 0.05; done'],
    });
    await outputMatching(process, /ready/);
    await process.signal("SIGUSR1");
    await outputMatching(process, /got-usr1/);
    await process.signal("SIGTERM");
    expect(await process.exited).toEqual({ exitCode: 7, signal: null });
    expect(await process.text()).toContain("got-term");
  });

  test("terminate kills at once; with graceMs a TERM trap gets to finish", async () => {
    const process = await ctx.client.start({ argv: ["sleep", "30"] });
    expect(await process.terminate()).toEqual({ running: true });
    expect(await process.exited).toEqual({ exitCode: 137, signal: "SIGKILL" });
    expect(await process.terminate()).toEqual({ running: false });

    const graceful = await ctx.client.start({
      argv: ["sh", "-c", 'trap "echo bye; exit 0" TERM; echo ready; while :; do sleep 0.05; done'],
    });
    await outputMatching(graceful, /ready/);
    await graceful.terminate({ graceMs: 5000 });
    expect(await graceful.exited).toEqual({ exitCode: 0, signal: null });
    expect(await graceful.text()).toMatch(/^ready\n[^]*bye\n$/);
  });

  test("Ctrl-C on a PTY interrupts the foreground process", async () => {
    // `exec`: a Ctrl-C landing while sh forks `sleep` is held by sh until the child exits.
    const process = await ctx.client.start({ argv: ["sh", "-c", "echo ready; exec sleep 30"], tty: true });
    await outputMatching(process, /ready/);
    await process.write("\x03");
    expect(await process.exited).toEqual({ exitCode: 130, signal: "SIGINT" });
  });

  test("snapshot renders a PTY's screen, tied to a seq", async () => {
    const process = await ctx.client.start({ argv: ["sh", "-c", "printf 'hello\\nworld\\n'; sleep 30"], tty: true, cols: 40, rows: 10 });
    await outputMatching(process, /world/);
    const snapshot = await process.snapshot();
    expect(snapshot.running).toBe(true);
    expect(snapshot.seq).toBeGreaterThan(0);
    expect(snapshot.screen?.cols).toBe(40);
    expect(snapshot.screen?.lines.slice(0, 2)).toEqual(["hello", "world"]);
    await process.terminate();
  });

  test("resize reaches the PTY", async () => {
    const process = await ctx.client.start({ argv: ["sh", "-c", "echo ready; read line; stty size"], tty: true });
    await outputMatching(process, /ready/);
    await process.resize(100, 30);
    await process.write("\n");
    await process.exited;
    expect(await process.text()).toContain("30 100");
  });

  test("wait for a pattern, then time out without killing", async () => {
    const process = await ctx.client.start({ argv: ["sh", "-c", "sleep 0.2; echo marker-42; sleep 30"] });
    const matched = await process.wait({ timeoutMs: 10_000, afterSeq: 0, until: { pattern: "marker-\\d+" } });
    expect(matched).toMatchObject({ matched: true, timedOut: false, exited: false });
    const timedOut = await process.wait({ timeoutMs: 200 });
    expect(timedOut).toMatchObject({ timedOut: true, exited: false });
    expect(isAlive(process.pid!)).toBe(true);
    await process.terminate();
    await process.exited;
  });

  test("list shows the connection's processes", async () => {
    const process = await ctx.client.start({ argv: ["sleep", "30"], processId: "listed" });
    const listed = (await ctx.client.list()).find((info) => info.processId === "listed");
    expect(listed).toMatchObject({ processId: "listed", pid: process.pid, running: true, tty: false, argv: ["sleep", "30"] });
    await process.terminate();
    await process.exited;
  });

  test("a command that cannot start rejects with SpawnFailedError", async () => {
    const error = await ctx.client.start({ argv: ["/nonexistent/exec-client-test"] }).catch((e) => e);
    expect(error).toBeInstanceOf(SpawnFailedError);
    expect(error).toBeInstanceOf(ExecServerError);
    expect(error.code).toBe(ErrorCode.SpawnFailed);
    expect(error.rpcCode).toBe(ErrorCode.SpawnFailed);
    expect(error.data).toMatchObject({ argv0: "/nonexistent/exec-client-test", errno: "ENOENT" });
    expect(error.method).toBe("process/start");
    expect(error.message).toContain("/nonexistent/exec-client-test");
  });

  test("invalid params reject with the server's code and message", async () => {
    const error = await ctx.client.start({ argv: ["true"], cwd: "relative/dir" }).catch((e) => e);
    expect(error).toBeInstanceOf(ExecServerError);
    expect(error).not.toBeInstanceOf(SpawnFailedError);
    expect(error.code).toBe(ErrorCode.InvalidParams);
    expect(error.message).toContain("cwd");
    const unknown = await ctx.client.request("process/read", { processId: "no-such-process" }).catch((e) => e);
    expect(unknown.code).toBe(ErrorCode.InvalidRequest);
    expect(unknown.message).toContain("no-such-process");
  });

  test("on() delivers output, exited and closed events until disposed", async () => {
    const seen: string[] = [];
    const subscriptions = [
      ctx.client.on("output", (event) => seen.push(`output ${event.processId} ${new TextDecoder().decode(event.data)}`)),
      ctx.client.on("exited", (event) => seen.push(`exited ${event.processId} ${event.exitCode}`)),
      ctx.client.on("closed", (event) => seen.push(`closed ${event.processId}`)),
    ];
    const closed = new Promise<void>((resolve) => {
      const subscription = ctx.client.on("closed", (event) => {
        if (event.processId !== "events-1") return;
        subscription.dispose();
        resolve();
      });
    });
    const process = await ctx.client.start({ argv: ["echo", "hi"], processId: "events-1" });
    await closed;
    expect(seen.filter((line) => line.includes("events-1"))).toEqual([
      "output events-1 hi\n",
      "exited events-1 0",
      "closed events-1",
    ]);
    expect(await process.exited).toEqual({ exitCode: 0, signal: null });
    for (const subscription of subscriptions) subscription.dispose();
    await ctx.client.run(["echo", "unseen"]);
    expect(seen.some((line) => line.includes("unseen"))).toBe(false);
  });
}
