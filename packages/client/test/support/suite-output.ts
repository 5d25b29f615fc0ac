import { expect, test } from "bun:test";
import { ClientErrorCode, ExecServerError, ExecTimeoutError, type ExecServerClient, type ProcessHandle } from "../../src/index.ts";
import { HOLD_IDLE_MS } from "../../src/process/process-state.ts";
import { expectedSeq, PATH, windowsUntil } from "./output-helpers.ts";
import { isAlive } from "./processes.ts";
import type { SuiteContext } from "./suite-context.ts";

/** run, output(), buffering and exec windows. */
export function outputTests(ctx: SuiteContext): void {
  test("run collects stdout, stderr, the exit code and the signal", async () => {
    const result = await ctx.client.run(["sh", "-c", "echo out; echo err >&2; exit 3"]);
    expect(result.stdout).toBe("out\n");
    expect(result.stderr).toBe("err\n");
    expect(new TextDecoder().decode(result.stdoutBytes)).toBe("out\n");
    expect(result.exitCode).toBe(3);
    expect(result.signal).toBeNull();
  });

  test("run defaults to the client's cwd and env; options replace them", async () => {
    process.env.EXEC_CLIENT_TEST_VAR = "from-client";
    try {
      const inherited = await ctx.client.run(["sh", "-c", 'pwd; echo "$EXEC_CLIENT_TEST_VAR"']);
      expect(inherited.stdout).toBe(`${process.cwd()}\nfrom-client\n`);
    } finally {
      delete process.env.EXEC_CLIENT_TEST_VAR;
    }
    const given = await ctx.client.run(["sh", "-c", 'pwd; echo "${EXEC_CLIENT_TEST_VAR-unset}"'], { cwd: ctx.home, env: { PATH } });
    expect(given.stdout).toBe(`${ctx.home}\nunset\n`);
  });

  test("run feeds stdin, then EOF (communicate)", async () => {
    const input = "line one\nline two\n".repeat(1000);
    const result = await ctx.client.run(["sh", "-c", "cat; echo done >&2"], { stdin: input });
    expect(result.stdout).toBe(input);
    expect(result.stderr).toBe("done\n");
    expect(result.exitCode).toBe(0);
  });

  test("run past timeoutMs kills the process and rejects with ExecTimeoutError", async () => {
    const started = Date.now();
    const error = await ctx.client.run(["sh", "-c", "echo partial; exec sleep 30"], { timeoutMs: 400 }).catch((e) => e);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(error).toBeInstanceOf(ExecTimeoutError);
    expect(error).toBeInstanceOf(ExecServerError);
    expect(error.code).toBe(ClientErrorCode.Timeout);
    expect(error.data.stdout).toBe("partial\n");
    expect(error.data.signal).toBe("SIGKILL");
    expect(isAlive(error.data.pid)).toBe(false);
  });

  test("output() yields every chunk in order; exited resolves once with the status", async () => {
    const process = await ctx.client.start({ argv: ["sh", "-c", "for i in 1 2 3; do echo line $i; done; exit 4"] });
    expect(process.pid).toBeGreaterThan(0);
    const chunks = [];
    for await (const chunk of process.output()) chunks.push(chunk);
    const text = new TextDecoder().decode(Buffer.concat(chunks.map((chunk) => chunk.data)));
    expect(text).toBe("line 1\nline 2\nline 3\n");
    expect(chunks.every((chunk) => chunk.stream === "stdout" && chunk.data instanceof Uint8Array)).toBe(true);
    expect(chunks.map((chunk) => chunk.seq)).toEqual(chunks.map((_, i) => i + 1));
    expect(await process.exited).toEqual({ exitCode: 4, signal: null });
    expect(await process.exited).toEqual({ exitCode: 4, signal: null });
    expect(await process.text()).toBe(text);
  });

  test("a reader that is behind loses nothing: evicted chunks are re-read from the server", async () => {
    const small = await ctx.harness.connect({ outputBufferBytes: 16 * 1024 });
    try {
      const expected = expectedSeq(60_000);
      const late = await small.client.start({ argv: ["seq", "1", "60000"] });
      await late.exited;
      // A new process's output is held for its first reader until HOLD_IDLE_MS after the start
      // answer; this reader comes later than that, so what it reads was evicted here.
      await Bun.sleep(HOLD_IDLE_MS + 200);
      const held = late.bufferedBytes;
      let text = "";
      let lastSeq = 0;
      let largestChunk = 0;
      for await (const chunk of late.output()) {
        expect(chunk.seq).toBe(lastSeq + 1);
        lastSeq = chunk.seq;
        largestChunk = Math.max(largestChunk, chunk.data.byteLength);
        text += new TextDecoder().decode(chunk.data);
      }
      // The bound: the buffer size, plus the newest chunk, which is always kept.
      expect(held).toBeLessThanOrEqual(16 * 1024 + largestChunk + 64);
      expect(held).toBeLessThan(expected.length);
      expect(text.length).toBe(expected.length);
      expect(text === expected).toBe(true);
      expect(await late.text()).toBe(expected);

      // And a reader that iterates while the output is produced.
      const live = await small.client.start({ argv: ["seq", "1", "100000"] });
      const decoder = new TextDecoder();
      let liveText = "";
      for await (const chunk of live.output()) liveText += decoder.decode(chunk.data, { stream: true });
      expect(liveText === expectedSeq(100_000)).toBe(true);
    } finally {
      await small.close();
    }
  });

  /**
   * A client that buffers at most 64 KiB of output iterates over `total` bytes of zeros,
   * awaiting `each` on every chunk before counting it; the bytes and the gaps in seq it saw.
   */
  async function readZerosSlowly(
    total: number,
    each: (reader: { client: ExecServerClient; process: ProcessHandle; first: boolean }) => Promise<void>,
    /** How long after the start the reader begins. */
    startDelayMs = 0,
  ): Promise<{ bytes: number; gaps: number }> {
    const small = await ctx.harness.connect({ outputBufferBytes: 64 * 1024 });
    try {
      const process = await small.client.start({ argv: ["head", "-c", String(total), "/dev/zero"] });
      if (startDelayMs > 0) await Bun.sleep(startDelayMs);
      let bytes = 0;
      let lastSeq = 0;
      let gaps = 0;
      for await (const chunk of process.output()) {
        await each({ client: small.client, process, first: bytes === 0 });
        if (chunk.seq !== lastSeq + 1) gaps++;
        lastSeq = chunk.seq;
        bytes += chunk.data.byteLength;
      }
      return { bytes, gaps };
    } finally {
      await small.close();
    }
  }

  test("a slow iterating reader loses nothing: the connection is paused, not the output dropped", async () => {
    const total = 8 * 1024 * 1024; // eight times the server's retention
    let mostHeld = 0;
    const seen = await readZerosSlowly(total, async ({ process }) => {
      mostHeld = Math.max(mostHeld, process.bufferedBytes);
      await Bun.sleep(2);
    });
    expect(seen).toEqual({ bytes: total, gaps: 0 });
    // Held: the buffer, plus what was already in flight when the pause took effect.
    expect(mostHeld).toBeLessThan(64 * 1024 + 4 * 1024 * 1024);
  });

  test("output that arrives before the first reader is held for it: a reader that starts a little later loses nothing", async () => {
    const total = 8 * 1024 * 1024; // eight times the server's retention
    // 100 ms: time for the whole output to reach the client if nothing held it back (well under HOLD_IDLE_MS).
    expect(await readZerosSlowly(total, async () => {}, 100)).toEqual({ bytes: total, gaps: 0 });
  });

  test("a paused reader that calls the server from its loop does not deadlock", async () => {
    const total = 4 * 1024 * 1024;
    let callMs = 0;
    const { bytes, gaps } = await readZerosSlowly(total, async ({ client, first }) => {
      if (!first) return;
      await Bun.sleep(300); // the backlog builds and the connection is paused
      const started = Date.now();
      expect((await client.run(["echo", "answered"])).stdout).toBe("answered\n");
      callMs = Date.now() - started;
    });
    // Held up at most until the reader counts as idle (HOLD_IDLE_MS), which gives up its hold:
    // past the server's retention, what it missed shows as gaps in seq, never silently.
    expect(callMs).toBeLessThan(5000);
    expect(bytes === total || gaps > 0).toBe(true);
  });

  test("output nobody reads stays bounded and does not hold up the connection", async () => {
    const small = await ctx.harness.connect({ outputBufferBytes: 64 * 1024 });
    try {
      const unread = await small.client.start({ argv: ["head", "-c", String(8 * 1024 * 1024), "/dev/zero"] });
      await unread.exited;
      expect(unread.bufferedBytes).toBeLessThan(64 * 1024 + 1024 * 1024);
      expect((await small.client.run(["echo", "still answering"])).stdout).toBe("still answering\n");
    } finally {
      await small.close();
    }
  });

  test("an interactive PTY shell driven through exec windows", async () => {
    const env = { PATH, HOME: ctx.home, PS1: "PROMPT> ", TERM: "dumb" };
    const first = await ctx.client.exec({ argv: ["bash", "--noprofile", "--norc"], tty: true, env, yieldTimeMs: 300 });
    expect(first.exitCode).toBeUndefined();
    expect(first.process.tty).toBe(true);
    await windowsUntil(first, /PROMPT> $/);

    const answer = await windowsUntil(await first.process.exec({ input: "echo $((6 * 7))\n", yieldTimeMs: 300 }), /42\r\n[^]*PROMPT> $/);
    expect(answer.exitCode).toBeUndefined();
    expect(answer.all).toContain("echo $((6 * 7))");

    const cd = await windowsUntil(await first.process.exec({ input: "cd ~ && pwd\n", yieldTimeMs: 300 }), /PROMPT> $/);
    expect(cd.all).toContain(`${ctx.home}\r\n`);

    const exit = await first.process.exec({ input: "exit 3\n", yieldTimeMs: 10_000 });
    expect(exit.exitCode).toBe(3);
    expect(exit.signal).toBeNull();
    expect(await first.process.exited).toEqual({ exitCode: 3, signal: null });
  });

  test("exec keeps the head and the tail of a long output, with a marker for the middle", async () => {
    const window = await ctx.client.exec({
      argv: ["sh", "-c", "printf HEAD; head -c 100000 /dev/zero | tr '\\0' x; printf TAIL"],
      yieldTimeMs: 20_000,
      maxOutputBytes: 1000,
    });
    expect(window.exitCode).toBe(0);
    expect(window.truncated).toBe(true);
    expect(window.omittedBytes).toBe(100_008 - 1000);
    expect(window.output.startsWith(`HEAD${"x".repeat(496)}\n[... 99008 bytes omitted ...]\n`)).toBe(true);
    expect(window.output.endsWith(`${"x".repeat(496)}TAIL`)).toBe(true);

    const short = await ctx.client.exec({ argv: ["echo", "short"], yieldTimeMs: 20_000 });
    expect(short).toMatchObject({ output: "short\n", exitCode: 0, truncated: false, omittedBytes: 0 });
  });

  test("a window closes at yieldTimeMs while the process runs, and later windows continue", async () => {
    const started = Date.now();
    const first = await ctx.client.exec({ argv: ["sh", "-c", "echo one; sleep 0.6; echo two"], yieldTimeMs: 250 });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(first.exitCode).toBeUndefined();
    expect(first.output).toBe("one\n");
    const second = await first.process.exec({ yieldTimeMs: 10_000 });
    expect(second.output).toBe("two\n");
    expect(second.exitCode).toBe(0);
  });
}
