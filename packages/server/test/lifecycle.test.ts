import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LeakGuard } from "@x/exec-test-kit/leak-guard.ts";
import { startDaemon, type Daemon } from "@x/exec-test-kit/daemon.ts";
import { ProtocolClient } from "@x/exec-test-kit/protocol-client.ts";
import { alive } from "@x/exec-test-kit/proc-tree.ts";
import { b64, startParams } from "@x/exec-test-kit/start-params.ts";

let daemon: Daemon;
let client: ProtocolClient;
let scratch: string;
const guard = new LeakGuard();

beforeAll(async () => {
  daemon = await startDaemon("websocket", ["--max-processes", "20"]);
  guard.trackDaemon(daemon.proc.pid);
  client = await ProtocolClient.connect(daemon);
  await client.handshake();
  scratch = mkdtempSync(join(tmpdir(), "exec-server-lifecycle-"));
});

afterAll(async () => {
  client.close();
  // Every process of every connection gone, and the daemon's fds back to where they started.
  await guard.assertClean();
  await daemon.stop();
  await guard.assertClean();
  rmSync(scratch, { recursive: true, force: true });
});

async function waitForPid(file: string): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const text = await Bun.file(file).text().catch(() => "");
    if (/^\d+\n$/.test(text)) return Number(text);
    await Bun.sleep(20);
  }
  throw new Error(`no pid in ${file}`);
}

/** True once the pid is gone (killed and reaped); otherwise describes what is left. */
async function gone(pid: number): Promise<true | string> {
  for (let i = 0; i < 250 && alive(pid); i++) await Bun.sleep(20);
  if (!alive(pid)) return true;
  return readFileSync(`/proc/${pid}/stat`, "utf8");
}

describe("stdin", () => {
  test("pipeStdin keeps a pipe open; closeStdin gives EOF", async () => {
    await client.call("process/start", startParams("cat", ["cat"], { pipeStdin: true }));
    await client.call("process/write", { processId: "cat", chunk: b64("hello ") });
    await client.call("process/write", { processId: "cat", chunk: b64("world") });
    expect(await client.call("process/closeStdin", { processId: "cat" })).toEqual({});
    expect(await client.waitExited("cat")).toMatchObject({ exitCode: 0 });
    expect(client.output("cat").toString()).toBe("hello world");
    const late = await client.request("process/write", { processId: "cat", chunk: b64("x") });
    expect(late.error.message).toBe("process cat has exited");
  });

  test("writes after closeStdin are refused", async () => {
    await client.call("process/start", startParams("sleeper-in", ["sleep", "5"], { pipeStdin: true }));
    await client.call("process/closeStdin", { processId: "sleeper-in" });
    const write = await client.request("process/write", { processId: "sleeper-in", chunk: b64("x") });
    expect(write.error.message).toBe("process sleeper-in does not accept writes: its stdin is closed");
    await client.call("process/terminate", { processId: "sleeper-in" });
  });

  test("closeStdin on a PTY sends the terminal's EOF character", async () => {
    await client.call("process/start", startParams("ptycat", ["cat"], { tty: true }));
    await client.call("process/write", { processId: "ptycat", chunk: b64("abc\n") });
    await client.call("process/closeStdin", { processId: "ptycat" });
    expect(await client.waitExited("ptycat")).toMatchObject({ exitCode: 0 });
  });

  test("a repeated writeId is written once", async () => {
    await client.call("process/start", startParams("idem", ["cat"], { pipeStdin: true }));
    for (let i = 0; i < 3; i++) {
      expect(await client.call("process/write", { processId: "idem", chunk: b64("once\n"), writeId: "w-1" })).toEqual({ accepted: true, status: "accepted" });
    }
    await client.call("process/write", { processId: "idem", chunk: b64("twice\n"), writeId: "w-2" });
    await client.call("process/closeStdin", { processId: "idem" });
    await client.waitExited("idem");
    expect(client.output("idem").toString()).toBe("once\ntwice\n");
  });
});

describe("signals and terminate", () => {
  test("trap handlers observe each signal sent to the group", async () => {
    const signals = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH"];
    const traps = signals.map((s) => `trap 'echo got-${s}' ${s.slice(3)}`).join("; ");
    await client.call("process/start", startParams("traps", ["bash", "-c", `${traps}; echo ready; while :; do sleep 0.05; done`]));
    await client.waitFor(() => client.output("traps").toString().includes("ready"));
    for (const signal of signals) {
      expect(await client.call("process/signal", { processId: "traps", signal })).toEqual({});
      await client.waitFor(() => client.output("traps").toString().includes(`got-${signal}`));
    }
    const bad = await client.request("process/signal", { processId: "traps", signal: "SIGNOPE" });
    expect(bad.error.code).toBe(-32602);
    await client.call("process/signal", { processId: "traps", signal: "SIGKILL" });
    expect(await client.waitExited("traps")).toMatchObject({ exitCode: 137, signal: "SIGKILL" });
    expect((await client.request("process/signal", { processId: "traps", signal: "SIGINT" })).error.message).toBe(
      "process traps has exited",
    );
  });

  test("graceMs lets a TERM trap finish", async () => {
    await client.call("process/start", startParams("graceful", ["bash", "-c", "trap 'sleep 0.2; echo cleaned; exit 3' TERM; echo ready; while :; do sleep 0.05; done"]));
    await client.waitFor(() => client.output("graceful").toString().includes("ready"));
    expect(await client.call("process/terminate", { processId: "graceful", graceMs: 5000 })).toEqual({ running: true });
    expect(await client.waitExited("graceful")).toMatchObject({ exitCode: 3, signal: null });
    expect(client.output("graceful").toString()).toContain("cleaned");
  });

  test("a TERM-ignoring child dies at the grace", async () => {
    await client.call("process/start", startParams("stubborn", ["bash", "-c", "trap '' TERM; echo ready; while :; do sleep 0.05; done"]));
    await client.waitFor(() => client.output("stubborn").toString().includes("ready"));
    const began = performance.now();
    await client.call("process/terminate", { processId: "stubborn", graceMs: 300 });
    expect(await client.waitExited("stubborn")).toMatchObject({ exitCode: 137, signal: "SIGKILL" });
    expect(performance.now() - began).toBeGreaterThanOrEqual(250);
  });
});

describe("whole-tree kill", () => {
  for (const how of ["terminate", "disconnect"] as const) {
    test(`setsid and double-forked descendants are gone after ${how}`, async () => {
      const setsidPid = join(scratch, `${how}-setsid.pid`);
      const forkPid = join(scratch, `${how}-fork.pid`);
      const script = `setsid sh -c 'echo $$ > ${setsidPid}; exec sleep 1000' & (sh -c 'echo $$ > ${forkPid}; exec sleep 1000' &) ; sleep 1000`;
      const c = how === "disconnect" ? await ProtocolClient.connect(daemon) : client;
      if (how === "disconnect") await c.handshake();
      await c.call("process/start", startParams(`tree-${how}`, ["sh", "-c", script]));
      const escaped = [await waitForPid(setsidPid), await waitForPid(forkPid)];
      expect(escaped.every(alive)).toBe(true);
      if (how === "terminate") await c.call("process/terminate", { processId: `tree-${how}` });
      else c.close();
      for (const pid of escaped) expect(await gone(pid)).toBe(true);
    });
  }

  test("escapees of a process that already exited die with its connection", async () => {
    const pidFile = join(scratch, "orphan.pid");
    const c = await ProtocolClient.connect(daemon);
    await c.handshake();
    await c.call("process/start", startParams("leaver", ["sh", "-c", `setsid sh -c 'echo $$ > ${pidFile}; exec sleep 1000' > /dev/null 2>&1 &`]));
    await c.waitExited("leaver");
    const orphan = await waitForPid(pidFile);
    expect(alive(orphan)).toBe(true);
    c.close();
    expect(await gone(orphan)).toBe(true);
  });
});

describe("exited versus closed", () => {
  test("closed comes after exited when a background writer keeps the stream open", async () => {
    await client.call("process/start", startParams("bgw", ["sh", "-c", "(sleep 0.5; echo bg-done) & echo fg"]));
    const exited = await client.waitExited("bgw");
    const whileOpen = await client.call("process/read", { processId: "bgw", afterSeq: 0 });
    expect(whileOpen).toMatchObject({ exited: true, closed: false });
    const closed = await client.waitFor((m) => m.method === "process/closed" && m.params.processId === "bgw");
    expect(closed.params.seq).toBeGreaterThan(exited.seq);
    expect((await client.call("process/read", { processId: "bgw", afterSeq: 0 })).closed).toBe(true);
  });
});

describe("process/wait", () => {
  test("waits for exit", async () => {
    await client.call("process/start", startParams("w-exit", ["sh", "-c", "sleep 0.2; echo bye; exit 4"]));
    const result = await client.call("process/wait", { processId: "w-exit", timeoutMs: 10_000 });
    expect(result).toMatchObject({ exited: true, exitCode: 4, matched: false, timedOut: false });
  });

  test("waits for a pattern split across chunks, and never kills", async () => {
    await client.call("process/start", startParams("w-pat", ["sh", "-c", "printf 'lis'; sleep 0.2; printf 'tening on port 8080\\n'; sleep 1000"]));
    const result = await client.call("process/wait", {
      processId: "w-pat",
      timeoutMs: 10_000,
      afterSeq: 0,
      until: { pattern: "listening on port (\\d+)" },
    });
    expect(result).toMatchObject({ matched: true, exited: false, timedOut: false, seq: 2 });
    const listed = await client.call("process/list", {});
    expect(listed.processes.find((p: any) => p.processId === "w-pat").running).toBe(true);
    await client.call("process/terminate", { processId: "w-pat" });
  });

  test("waits for idleness, and times out", async () => {
    await client.call("process/start", startParams("w-idle", ["sh", "-c", "for i in 1 2 3; do echo $i; sleep 0.1; done; sleep 1000"]));
    const idle = await client.call("process/wait", { processId: "w-idle", timeoutMs: 10_000, until: { idleMs: 400 } });
    expect(idle).toMatchObject({ idle: true, exited: false, timedOut: false });
    const timedOut = await client.call("process/wait", { processId: "w-idle", timeoutMs: 200, until: { pattern: "never" } });
    expect(timedOut).toMatchObject({ timedOut: true, matched: false, exited: false });
    const bad = await client.request("process/wait", { processId: "w-idle", timeoutMs: 10, until: { pattern: "(" } });
    expect(bad.error.code).toBe(-32602);
    expect(bad.error.message).toContain("invalid pattern");
    await client.call("process/terminate", { processId: "w-idle" });
  });
});

test("process/list describes every process of the connection", async () => {
  const c = await ProtocolClient.connect(daemon);
  await c.handshake();
  const started = await c.call("process/start", startParams("l1", ["sh", "-c", "exit 2"]));
  await c.call("process/start", startParams("l2", ["sleep", "5"], { tty: true }));
  await c.waitExited("l1");
  const { processes } = await c.call("process/list", {});
  expect(processes.map((p: any) => p.processId).sort()).toEqual(["l1", "l2"]);
  const l1 = processes.find((p: any) => p.processId === "l1");
  expect(l1).toMatchObject({ pid: started.pid, argv: ["sh", "-c", "exit 2"], tty: false, running: false, exitCode: 2, signal: null });
  expect(l1.exitedAt).toBeGreaterThanOrEqual(l1.startedAt);
  expect(processes.find((p: any) => p.processId === "l2")).toMatchObject({ tty: true, running: true, exitCode: null, exitedAt: null });
  c.close();
});

test("--max-processes is enforced per connection", async () => {
  const c = await ProtocolClient.connect(daemon);
  await c.handshake();
  for (let i = 0; i < 20; i++) await c.call("process/start", startParams(`m${i}`, ["sleep", "5"]));
  const refused = await c.request("process/start", startParams("m20", ["sleep", "5"]));
  expect(refused.error.code).toBe(-32600);
  expect(refused.error.message).toContain("too many processes");
  await c.call("process/terminate", { processId: "m0" });
  await c.waitExited("m0");
  await c.call("process/start", startParams("m20", ["true"]));
  c.close();
});

test("a child printing endlessly to a client that reads nothing keeps the daemon's memory bounded", async () => {
  const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${daemon.proc.pid}/status`, "utf8"))![1]) * 1024;
  // The client is a separate process, stopped with SIGSTOP once the flood starts: a peer that reads nothing.
  const flooder = Bun.spawn(["bun", join(import.meta.dir, "support", "flood-client.ts"), daemon.url!], { stdout: "pipe", stderr: "inherit" });
  const reader = flooder.stdout.getReader();
  const before = rss();
  expect(new TextDecoder().decode((await reader.read()).value)).toContain("started");
  flooder.kill("SIGSTOP");
  let peak = 0;
  for (let i = 0; i < 20; i++) {
    await Bun.sleep(250);
    peak = Math.max(peak, rss() - before);
  }
  flooder.kill("SIGKILL");
  await flooder.exited;
  // Generous bound: retention (1 MiB) + undelivered allowance + connection high water + socket buffers.
  expect(peak).toBeLessThan(96 * 1024 * 1024);
});
