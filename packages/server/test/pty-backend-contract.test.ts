import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChildHandle, OutputSource, ProcessBackend, SpawnSpec } from "../src/process/backends/backend.ts";
import { SpawnError } from "../src/process/backends/backend.ts";
import { ptyFfiBackend } from "../src/process/backends/pty-ffi/pty-ffi-backend.ts";
import { ptyNativeBackend } from "../src/process/backends/pty-native-backend.ts";

/** Pulls a PTY's output on demand and keeps it as text, with a cursor for sequential waits. */
class Transcript {
  text = "";
  bytes = 0;
  eof = false;
  private cursor = 0;
  private pending: Promise<Uint8Array | null> | undefined;
  private readonly decoder = new TextDecoder();

  constructor(private readonly source: OutputSource) {}

  /** Reads until `pattern` occurs after the cursor, then moves the cursor past it. */
  async until(pattern: string | RegExp, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rest = this.text.slice(this.cursor);
      const match = typeof pattern === "string" ? indexMatch(rest, pattern) : pattern.exec(rest);
      if (match) {
        this.cursor += match.index + match[0].length;
        return match[0];
      }
      if (this.eof) throw new Error(`EOF before ${pattern}; output: ${JSON.stringify(this.text.slice(-2000))}`);
      if (!(await this.pull(deadline))) {
        throw new Error(`timed out waiting for ${pattern}; output: ${JSON.stringify(this.text.slice(-2000))}`);
      }
    }
  }

  /** Reads until read() returns null. */
  async toEnd(timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!this.eof) {
      if (!(await this.pull(deadline))) throw new Error(`no EOF; output: ${JSON.stringify(this.text.slice(-2000))}`);
    }
    return this.text;
  }

  /** One read, or false at the deadline (the read stays pending for the next call). */
  private async pull(deadline: number): Promise<boolean> {
    this.pending ??= this.source.read();
    let timer: Timer | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), Math.max(0, deadline - Date.now()));
    });
    const chunk = await Promise.race([this.pending, timeout]);
    clearTimeout(timer);
    if (chunk === "timeout") return false;
    this.pending = undefined;
    if (chunk === null) {
      this.eof = true;
      this.text += this.decoder.decode();
    } else {
      this.bytes += chunk.byteLength;
      this.text += this.decoder.decode(chunk, { stream: true });
    }
    return true;
  }
}

function indexMatch(text: string, needle: string): { index: number; 0: string } | null {
  const index = text.indexOf(needle);
  return index < 0 ? null : { index, 0: needle };
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: Timer | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Processes whose session is `sid` and whose command name is `comm`, from /proc. */
function sessionHas(sid: number, comm: string): boolean {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue;
    }
    const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (name === comm && Number(fields[3]) === sid) return true;
  }
  return false;
}

/** Bytes the process has passed to write(2) so far. */
function bytesWritten(pid: number): number {
  const io = readFileSync(`/proc/${pid}/io`, "utf8");
  return Number(/^wchar: (\d+)$/m.exec(io)![1]);
}

async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

const backends: ReadonlyArray<{ backend: ProcessBackend; backpressure: boolean }> = [
  { backend: ptyNativeBackend, backpressure: false },
  { backend: ptyFfiBackend, backpressure: true },
];

describe.each(backends)("PTY backend $backend.name", ({ backend, backpressure }) => {
  let home: string;
  let env: Record<string, string>;
  const children: ChildHandle[] = [];

  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), "pty-contract-"));
    env = { PATH: "/usr/bin:/bin", HOME: home, TERM: "xterm-256color", PS1: "$ " };
  });

  afterAll(() => rmSync(home, { recursive: true, force: true }));

  afterEach(async () => {
    for (const child of children.splice(0)) {
      child.signalGroup("SIGKILL");
      child.dispose();
      await within(child.exited, 5_000, "child exit after SIGKILL").catch(() => {});
    }
  });

  function spawn(argv: string[], extra: Partial<SpawnSpec> = {}): ChildHandle {
    const child = backend.spawn({ argv, cwd: home, env, cols: 80, rows: 24, pipeStdin: false, ...extra });
    children.push(child);
    return child;
  }

  async function shell(): Promise<{ child: ChildHandle; out: Transcript }> {
    const child = spawn(["bash", "--noprofile", "--norc"]);
    const out = new Transcript(child.outputs[0]!);
    await out.until("$ ");
    return { child, out };
  }

  const enc = (text: string) => new TextEncoder().encode(text);

  test("one pty output that says whether it has backpressure", () => {
    const child = spawn(["true"]);
    expect(child.outputs.map((source) => source.stream)).toEqual(["pty"]);
    expect(child.outputs[0]!.backpressure).toBe(backpressure);
    expect(child.acceptsInput).toBe(true);
  });

  test("Ctrl-C interrupts a foreground sleep and the shell survives", async () => {
    const { child, out } = await shell();
    await child.write(enc("sleep 100\r"));
    await waitFor(() => sessionHas(child.pid, "sleep"), 5_000, "sleep to start");
    await child.write(enc("\x03"));
    await out.until("$ ", 5_000);
    await waitFor(() => !sessionHas(child.pid, "sleep"), 5_000, "sleep to end");
    await child.write(enc('echo "rc=$?"; echo al""ive\r'));
    await out.until("rc=130");
    await out.until("alive");
    let exited = false;
    void child.exited.then(() => (exited = true));
    await Bun.sleep(50);
    expect(exited).toBe(false);
  });

  test("Ctrl-D ends cat with exit 0", async () => {
    const child = spawn(["cat"]);
    const out = new Transcript(child.outputs[0]!);
    await child.write(enc("hello\r"));
    await out.until("hello\r\nhello\r\n");
    await child.closeStdin();
    expect(await within(child.exited, 5_000, "cat exit")).toEqual({ exitCode: 0, signal: null });
    await out.toEnd();
  });

  test("resize is seen by stty size at once", async () => {
    const { child, out } = await shell();
    child.resize(132, 43);
    await child.write(enc("stty size\r"));
    await out.until("43 132");
  });

  test("5 MiB of output before exit 5 all arrives", async () => {
    const { child, out } = await shell();
    await child.write(enc("printf '%s\\n' BE''GIN; head -c 5242880 /dev/zero | base64; printf '%s\\n' E''ND; exit 5\r"));
    // Read while waiting: with backpressure the shell cannot exit before its output is taken.
    const [status, text] = await Promise.all([within(child.exited, 30_000, "shell exit"), out.toEnd(30_000)]);
    expect(status).toEqual({ exitCode: 5, signal: null });
    const body = /BEGIN\r\n([\s\S]*?)\r\nEND\r\n/.exec(text)?.[1];
    expect(body).toBeDefined();
    // The terminal turns each \n into \r\n; base64 wraps at 76 columns.
    const lines = body!.split("\r\n");
    expect(lines.slice(0, -1).every((line) => line.length === 76)).toBe(true);
    const decoded = Buffer.from(lines.join(""), "base64");
    expect(decoded.byteLength).toBe(5 * 1024 * 1024);
    expect(decoded.every((byte) => byte === 0)).toBe(true);
  });

  test("output of a background job that outlives the leader arrives, then EOF", async () => {
    const { child, out } = await shell();
    await child.write(enc("(sleep 0.3; echo la''te) &\r"));
    await out.until("$ ");
    await child.write(enc("exit\r"));
    const ending = out.toEnd(5_000);
    expect(await within(child.exited, 5_000, "shell exit")).toEqual({ exitCode: 0, signal: null });
    const atExit = out.text;
    const text = await ending;
    expect(atExit).not.toContain("late");
    expect(text).toContain("late\r\n");
  });

  test("arg0 is the child's argv[0]", async () => {
    const child = spawn(["bash", "--noprofile", "--norc", "-c", 'echo "zero=$0"; tr "\\0" " " < /proc/$$/cmdline'], {
      arg0: "custom-shell",
    });
    const text = await new Transcript(child.outputs[0]!).toEnd();
    expect(text).toContain("zero=custom-shell\r\n");
    expect(text).toContain("custom-shell --noprofile --norc -c ");
    expect(await child.exited).toEqual({ exitCode: 0, signal: null });
  });

  test("argv[0] is as given when arg0 is not set", async () => {
    const child = spawn(["bash", "--noprofile", "--norc", "-c", 'echo "zero=$0"']);
    expect(await new Transcript(child.outputs[0]!).toEnd()).toContain("zero=bash\r\n");
  });

  test("the environment is exactly the given one", async () => {
    const given = { ...env, SPACED: "a b  c", EMPTY: "" };
    const child = spawn(["/usr/bin/env"], { env: given });
    const text = await new Transcript(child.outputs[0]!).toEnd();
    const seen = Object.fromEntries(
      text
        .split("\r\n")
        .filter((line) => line !== "")
        .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
    );
    expect(seen).toEqual(given);
  });

  test("cwd is the given directory", async () => {
    const child = spawn(["pwd"]);
    expect(await new Transcript(child.outputs[0]!).toEnd()).toBe(`${home}\r\n`);
  });

  test("spawning a missing program throws SpawnError", () => {
    expect(() => spawn(["definitely-not-a-program-7f3a"])).toThrow(SpawnError);
    expect(() => spawn(["/nonexistent/dir/prog"])).toThrow(SpawnError);
    expect(() => spawn(["/etc/passwd"])).toThrow(SpawnError);
    expect(() => spawn(["true"], { cwd: join(home, "missing") })).toThrow(SpawnError);
  });

  test("SIGKILL to the group gives 137 / SIGKILL, then EOF", async () => {
    const { child, out } = await shell();
    child.signalGroup("SIGKILL");
    expect(await within(child.exited, 5_000, "exit")).toEqual({ exitCode: 137, signal: "SIGKILL" });
    await out.toEnd(5_000);
  });

  test("a write the child does not read never blocks the event loop", async () => {
    const child = spawn(["sleep", "30"]);
    const big = enc("x".repeat(1023) + "\n").subarray(0, 1024);
    const payload = new Uint8Array(1024 * 1024);
    for (let i = 0; i < payload.length; i += big.length) payload.set(big, i);
    const started = performance.now();
    const written = child.write(payload).then(
      () => "resolved",
      () => "rejected",
    );
    await Bun.sleep(100);
    expect(performance.now() - started).toBeLessThan(1_000);
    child.signalGroup("SIGKILL");
    child.dispose();
    // Whatever the backend did with the bytes, the promise settles.
    expect(["resolved", "rejected"]).toContain(await within(written, 5_000, "write to settle"));
  });

  test("a large write reaches a slow reader intact", async () => {
    // Non-canonical, no echo: 1 MiB of input is far more than the terminal buffers at once.
    const child = spawn(["bash", "--noprofile", "--norc", "-c", "stty -icanon -echo; echo rea''dy; head -c 1048576 | md5sum"]);
    const out = new Transcript(child.outputs[0]!);
    await out.until("ready\r\n");
    const payload = new Uint8Array(1024 * 1024);
    for (let i = 0; i < payload.length; i++) payload[i] = 0x61 + (i % 26);
    const reading = out.toEnd(30_000);
    await within(child.write(payload), 30_000, "write to be taken");
    const expected = new Bun.CryptoHasher("md5").update(payload).digest("hex");
    expect(await reading).toContain(`${expected}  -\r\n`);
    expect(await child.exited).toEqual({ exitCode: 0, signal: null });
  });

  test("dispose is idempotent and ends the output", async () => {
    const { child, out } = await shell();
    child.dispose();
    child.dispose();
    expect(child.acceptsInput).toBe(false);
    await out.toEnd(5_000);
    await expect(child.write(enc("x"))).rejects.toThrow();
  });

  test.if(backpressure)("a reader that stops pulling blocks the child without growing memory", async () => {
    const child = spawn(["yes", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"]);
    const out = new Transcript(child.outputs[0]!);
    await out.until("abcdef\r\n");
    // Pull a while so everything is warm, then stop.
    const warm = Date.now() + 300;
    while (Date.now() < warm) await out.until("\r\n");
    Bun.gc(true);
    const rssBefore = process.memoryUsage().rss;
    await Bun.sleep(1_000);
    const writtenAt1s = bytesWritten(child.pid);
    await Bun.sleep(1_000);
    const writtenAt2s = bytesWritten(child.pid);
    Bun.gc(true);
    const rssGrowth = process.memoryUsage().rss - rssBefore;
    expect(writtenAt2s).toBe(writtenAt1s);
    expect(rssGrowth).toBeLessThan(4 * 1024 * 1024);
    // Pulling again lets it go on: it was blocked, not dead.
    const before = out.bytes;
    while (out.bytes < before + 1024 * 1024) await out.until("\r\n");
    expect(bytesWritten(child.pid)).toBeGreaterThan(writtenAt2s);
  });
});
