import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { LeakGuard } from "@x/exec-test-kit/leak-guard.ts";
import { startDaemon, type Daemon } from "@x/exec-test-kit/daemon.ts";
import { ProtocolClient } from "@x/exec-test-kit/protocol-client.ts";
import { b64, startParams } from "@x/exec-test-kit/start-params.ts";

// After every daemon of this file is stopped: nothing it started is left, zombies included.
const guard = new LeakGuard();
afterAll(() => guard.assertClean());

const SHELL = ["bash", "--noprofile", "--norc"];
const SHELL_ENV = { PATH: "/usr/bin:/bin", PS1: "$ ", HOME: "/tmp" };

// The same terminal suite against the daemon with each PTY backend.
describe.each(["native", "ffi"])("terminals with --pty-backend %s", (backend) => {
let daemon: Daemon;
let client: ProtocolClient;

beforeAll(async () => {
  daemon = await startDaemon("stdio", ["--pty-backend", backend]);
  client = ProtocolClient.overStdio(daemon);
  await client.handshake();
});

afterAll(async () => {
  client.close();
  await daemon.stop();
});

const text = (id: string) => client.output(id).toString();

test("cols and rows at start; resize is seen at once by stty size", async () => {
  await client.call("process/start", startParams("sz", SHELL, { tty: true, env: SHELL_ENV, cols: 100, rows: 30 }));
  await client.call("process/write", { processId: "sz", chunk: b64("stty size\n") });
  await client.waitFor(() => text("sz").includes("30 100"));
  expect(await client.call("process/resize", { processId: "sz", cols: 132, rows: 43 })).toEqual({});
  await client.call("process/write", { processId: "sz", chunk: b64("stty size\n") });
  await client.waitFor(() => text("sz").includes("43 132"));
  await client.call("process/terminate", { processId: "sz" });
});

test("resize of a pipe process or an unknown id is a clear error", async () => {
  await client.call("process/start", startParams("pipe", ["sleep", "5"]));
  const pipe = await client.request("process/resize", { processId: "pipe", cols: 10, rows: 10 });
  expect(pipe.error).toMatchObject({ code: -32600 });
  expect(pipe.error.message).toContain("not a terminal");
  const unknown = await client.request("process/resize", { processId: "nope", cols: 10, rows: 10 });
  expect(unknown.error.message).toBe("unknown process id nope");
  const zero = await client.request("process/resize", { processId: "pipe", cols: 0, rows: 10 });
  expect(zero.error.code).toBe(-32602);
  await client.call("process/terminate", { processId: "pipe" });
});

test("Ctrl-C interrupts a foreground job and the shell survives", async () => {
  await client.call("process/start", startParams("ctrlc", SHELL, { tty: true, env: SHELL_ENV }));
  await client.call("process/write", { processId: "ctrlc", chunk: b64("sleep 100\n") });
  await Bun.sleep(300);
  await client.call("process/write", { processId: "ctrlc", chunk: b64("\x03") });
  await client.call("process/write", { processId: "ctrlc", chunk: b64("echo alive-$?\n") });
  await client.waitFor(() => text("ctrlc").includes("alive-130"));
  await client.call("process/write", { processId: "ctrlc", chunk: b64("exit 5\n") });
  expect(await client.waitExited("ctrlc")).toMatchObject({ exitCode: 5 });
});

test("snapshot: head and tail of retained output per stream, tied to a seq", async () => {
  await client.call("process/start", startParams("snap", ["sh", "-c", "head -c 100000 /dev/zero | tr '\\0' a; echo; echo err >&2"]));
  await client.waitExited("snap");
  const snap = await client.call("process/snapshot", { processId: "snap" });
  const stdout = Buffer.from(snap.stdout, "base64");
  expect(stdout.length).toBe(65536);
  expect(snap.omittedBytes).toBe(100001 - 65536);
  expect(snap.truncated).toBe(true);
  expect(stdout.subarray(-1).toString()).toBe("\n");
  expect(Buffer.from(snap.stderr, "base64").toString()).toBe("err\n");
  expect(snap).toMatchObject({ running: false, exitCode: 0, terminal: "" });
  const outputs = client.notifications("process/output", "snap");
  expect(snap.seq).toBe(Math.max(...outputs.map((n) => n.seq)));
});

test("snapshot of a PTY: the rendered screen, tied to the seq it reflects", async () => {
  await client.call("process/start", startParams("screen", SHELL, { tty: true, env: SHELL_ENV, cols: 40, rows: 10 }));
  await client.call("process/write", { processId: "screen", chunk: b64("printf '\\033[2J\\033[3;5H%s%s' hel lo; sleep 100\n") });
  await client.waitFor(() => text("screen").includes("hello"));
  const snap = await client.call("process/snapshot", { processId: "screen", serialize: true, scrollback: 5 });
  expect(snap.screen).toMatchObject({ cols: 40, rows: 10, altScreen: false });
  expect(snap.screen.lines[2]).toBe("    hello");
  expect(snap.screen.cursor).toEqual({ x: 9, y: 2 });
  expect(Array.isArray(snap.screen.scrollback)).toBe(true);
  expect(typeof snap.serialized).toBe("string");
  expect(snap.seq).toBeGreaterThan(0);
  expect(Buffer.from(snap.terminal, "base64").toString()).toContain("hello");
  await client.call("process/resize", { processId: "screen", cols: 60, rows: 12 });
  const resized = await client.call("process/snapshot", { processId: "screen" });
  expect(resized.screen).toMatchObject({ cols: 60, rows: 12 });
  expect(resized.serialized).toBeUndefined();
  await client.call("process/terminate", { processId: "screen" });
});

test("terminal queries are answered so programs that ask do not hang", async () => {
  // bash's `read` waits for the cursor position report the screen model writes back.
  const script = "printf '\\033[6n'; IFS= read -rs -d R reply; echo got:${reply#*[}";
  await client.call("process/start", startParams("cpr", ["bash", "--noprofile", "--norc", "-c", script], { tty: true, env: SHELL_ENV }));
  await client.waitExited("cpr");
  expect(text("cpr")).toContain("got:1;1");
});

test("5 MiB of output then exit 5: all output and the code", async () => {
  await client.call("process/start", startParams("bulk", ["sh", "-c", "head -c 3932160 /dev/zero | base64 -w 76; exit 5"], { tty: true }));
  const exited = await client.waitExited("bulk", 60_000);
  expect(exited.exitCode).toBe(5);
  const lines = text("bulk").split("\r\n");
  expect(lines.at(-1)).toBe("");
  expect(lines.length - 1).toBe(Math.ceil((3932160 * 4) / 3 / 76));
});

test("a background job that outlives the leader keeps its output and does not hang the exit", async () => {
  // The session leader's exit hangs up its terminal: a job that outlives it ignores SIGHUP (as nohup does).
  await client.call("process/start", startParams("bgjob", ["sh", "-c", "trap '' HUP; (sleep 0.4; echo late) & echo early"], { tty: true }));
  const exited = await client.waitExited("bgjob");
  expect(exited.exitCode).toBe(0);
  await client.waitFor((m) => m.method === "process/closed" && m.params.processId === "bgjob");
  expect(text("bgjob")).toBe("early\r\nlate\r\n");
});
});
