import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ResultOf } from "@x/exec-protocol";
import { DaemonProcess } from "@x/exec-test-kit/daemon.ts";
import { LeakGuard } from "@x/exec-test-kit/leak-guard.ts";
import { rssBytes } from "@x/exec-test-kit/proc-tree.ts";
import { ProtocolClient } from "@x/exec-test-kit/protocol-client.ts";
import type { Json } from "@x/exec-test-kit/start-params.ts";
import { clientFrame, RawSocket, upgradeRequest } from "@x/exec-test-kit/raw-socket.ts";
import { warmUp } from "@x/exec-test-kit/warm-up.ts";
import { openWebSocketWire } from "@x/exec-test-kit/wire.ts";

// One client misbehaving on purpose, within what the protocol lets it send:
// each bound answers with its documented error, the daemon's memory stays
// bounded, and another connection is served meanwhile.

const MiB = 1024 * 1024;
const home = mkdtempSync(join(tmpdir(), "exec-abuse-"));
const env = { PATH: "/usr/bin:/bin", HOME: home };
const guard = new LeakGuard();
const daemons: DaemonProcess[] = [];
let daemon: DaemonProcess;
let baseline = 0;
const figures: string[] = [];

async function startDaemon(args: string[] = []): Promise<DaemonProcess> {
  const started = await DaemonProcess.start({
    transport: "websocket",
    args: ["--log-level", "error", "--ping-interval", "1", ...args],
    env: { HOME: home },
  });
  daemons.push(started);
  await warmUp(started.url!, env);
  return started;
}

beforeAll(async () => {
  daemon = await startDaemon(["--max-exited-processes", "100"]);
  guard.trackDaemon(daemon.pid);
  baseline = rssBytes(daemon.pid);
});

afterAll(() =>
  guard.assertCleanAround(async () => {
    for (const each of daemons) await each.stop();
    rmSync(home, { recursive: true, force: true });
    console.log(`abuse: daemon RSS at start ${(baseline / MiB).toFixed(0)} MiB; ${figures.join("; ")}`);
  }),
);

async function connect(url = daemon.url!): Promise<ProtocolClient> {
  const client = new ProtocolClient(await openWebSocketWire(url), { keepOutput: true });
  await client.handshake("abuse");
  return client;
}

/** Another connection still gets a process started, its output and its exit, promptly. */
async function expectCanaryServed(url = daemon.url!): Promise<void> {
  const canary = await connect(url);
  const started = performance.now();
  await canary.call("process/start", { processId: "canary", argv: ["echo", "canary"], cwd: home, env, tty: false });
  await canary.waitExited("canary", 10_000);
  expect(canary.process("canary").output().toString()).toBe("canary\n");
  expect(performance.now() - started).toBeLessThan(5_000);
  canary.wire.close();
  await canary.wire.closed;
}

/** Samples the daemon's RSS while `work` runs; resolves with the work's value and the peak growth. */
async function peakRssDuring<T>(pid: number, work: () => Promise<T>): Promise<{ value: T; peakGrowth: number }> {
  const before = rssBytes(pid);
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(pid))), 50);
  try {
    const value = await work();
    peak = Math.max(peak, rssBytes(pid));
    return { value, peakGrowth: peak - before };
  } finally {
    clearInterval(sampler);
  }
}

const start = (client: ProtocolClient, processId: string, argv: string[], extra: Record<string, unknown> = {}) =>
  client.call("process/start", { processId, argv, cwd: home, env, tty: false, ...extra });

describe("abuse", () => {
  test("spawn loop: exited processes past --max-exited-processes are forgotten oldest first", async () => {
    const client = await connect();
    const total = 600;
    const { peakGrowth } = await peakRssDuring(daemon.pid, async () => {
      for (let next = 0; next < total; ) {
        const batch = [];
        for (let i = 0; i < 16 && next < total; i++, next++) batch.push(start(client, `s${next}`, ["true"]));
        await Promise.all(batch);
      }
      await client.until(() => client.process(`s${total - 1}`).exited !== undefined, 30_000, "the last spawn to exit");
      await client.until(() => [...Array(total).keys()].every((i) => client.process(`s${i}`).exited), 30_000, "every exit");
    });
    const { processes }: ResultOf<"process/list"> = await client.call("process/list", {});
    expect(processes.length).toBeLessThanOrEqual(100);
    expect(processes.length).toBeGreaterThanOrEqual(90);
    expect(processes.map((p) => p.processId)).toContain(`s${total - 1}`);
    expect((await client.request("process/read", { processId: "s0" })).error?.message).toBe("unknown process id s0");
    // An evicted id is free again.
    await start(client, "s0", ["echo", "again"]);
    await client.waitExited("s0");
    expect(peakGrowth).toBeLessThan(128 * MiB);
    figures.push(`spawn loop (${total}): peak +${(peakGrowth / MiB).toFixed(1)} MiB, ${processes.length} kept`);
    await expectCanaryServed();
    client.wire.close();
  });

  test("exited processes holding much output are forgotten past --max-exited-bytes, oldest first", async () => {
    const small = await startDaemon(["--max-exited-bytes", String(1024 * 1024)]);
    try {
      const client = await connect(small.url);
      // 300 KiB each: with the 4 KiB counted per process, three fit in 1 MiB, a fourth does not.
      for (let i = 0; i < 6; i++) {
        await start(client, `big${i}`, ["head", "-c", String(300 * 1024), "/dev/zero"]);
        await client.waitExited(`big${i}`);
      }
      const { processes }: ResultOf<"process/list"> = await client.call("process/list", {});
      expect(processes.map((p) => p.processId)).toEqual(["big3", "big4", "big5"]);
      expect((await client.request("process/read", { processId: "big0" })).error?.message).toBe("unknown process id big0");
      client.wire.close();
    } finally {
      await small.stop();
    }
  });

  test("request flood: past 1,024 requests in flight the rest are answered -32001 at once, and every request gets one answer", async () => {
    const client = await connect();
    // A child that never reads its stdin: once the pipe is full, every write stays in flight.
    await start(client, "deaf", ["sleep", "300"], { pipeStdin: true });
    const chunk = Buffer.alloc(1024, 0x61).toString("base64");
    const total = 3000;
    const { value: early, peakGrowth } = await peakRssDuring(daemon.pid, async () => {
      const answers: Json[] = [];
      const all = Array.from({ length: total }, () =>
        client.request("process/write", { processId: "deaf", chunk }).then((answer) => {
          answers.push(answer);
          return answer;
        }),
      );
      await client.until(() => answers.filter((a) => a.error?.code === -32001).length >= total - 1024 - 128, 15_000, "refusals");
      return { all, answers };
    });
    const refused = early.answers.filter((a) => a.error?.code === -32001);
    expect(refused.length).toBeGreaterThanOrEqual(total - 1024 - 128);
    expect(refused[0]!.error!.message).toContain("too many requests in flight");
    expect(refused[0]!.error!.data).toEqual({ limit: "inFlightRequests", value: 1024 });
    // Requests answered at once are not counted: the stuck client can still list and terminate.
    expect((await client.request("process/list", {})).error).toBeUndefined();
    expect((await client.request("process/read", { processId: "deaf" })).error?.code).toBe(-32001);
    await expectCanaryServed();
    // Killing the child settles every pending write: each request had exactly one answer.
    await client.call("process/terminate", { processId: "deaf" });
    const answers = await Promise.all(early.all);
    expect(answers).toHaveLength(total);
    expect(new Set(answers.map((a) => a.id)).size).toBe(total);
    expect((await client.request("process/list", {})).error).toBeUndefined();
    expect(peakGrowth).toBeLessThan(128 * MiB);
    figures.push(`request flood (${total}): ${refused.length} refused -32001, peak +${(peakGrowth / MiB).toFixed(1)} MiB`);
    client.wire.close();
  });

  test("a JSON-RPC 2.0 batch holds its requests' slots until its one answer is written", async () => {
    const client = new ProtocolClient(await openWebSocketWire(daemon.url!), { keepMessages: true });
    await client.handshake("abuse-batch");
    await start(client, "slow", ["sleep", "300"]);
    const hour = 3_600_000;
    const read = (id: string) => ({ jsonrpc: "2.0", id, method: "process/read", params: { processId: "slow" } });
    // 999 reads answered at once wait in the batch behind one wait that lasts until the child dies.
    const held = [...Array.from({ length: 999 }, (_, i) => read(`r${i}`)), { jsonrpc: "2.0", id: "w", method: "process/wait", params: { processId: "slow", timeoutMs: hour } }];
    client.sendRaw(JSON.stringify(held));
    // 1,000 of the 1,024 slots are taken: of 40 more waits, 24 wait and 16 are refused at once.
    const waits = Array.from({ length: 40 }, () => client.request("process/wait", { processId: "slow", timeoutMs: hour }));
    await client.until(() => client.messages.filter((m) => m.error?.code === -32001).length >= 16, 15_000, "refusals");
    await Bun.sleep(100);
    expect(client.messages.filter((m) => m.error?.code === -32001)).toHaveLength(16);
    // Inside a batch, an entry past the bound gets its own refusal.
    client.sendRaw(JSON.stringify([read("x1"), read("x2")]));
    const refusedBatch = (await client.waitFor((m) => Array.isArray(m) && m[0]?.id === "x1")) as Json[];
    expect(refusedBatch).toHaveLength(2);
    for (const entry of refusedBatch) expect(entry).toMatchObject({ jsonrpc: "2.0", error: { code: -32001, data: { limit: "inFlightRequests", value: 1024 } } });
    await client.call("process/terminate", { processId: "slow" });
    const answered = (await client.waitFor((m) => Array.isArray(m) && m.length === 1000)) as Json[];
    expect(answered.filter((entry) => entry.error !== undefined)).toEqual([]);
    expect(answered.find((entry) => entry.id === "w")!.result.exited).toBe(true);
    expect((await Promise.all(waits)).filter((a) => a.error === undefined)).toHaveLength(24);
    // Every slot is free again: a full batch of reads is served.
    client.sendRaw(JSON.stringify(Array.from({ length: 1000 }, (_, i) => read(`again${i}`))));
    const again = (await client.waitFor((m) => Array.isArray(m) && m[0]?.id?.startsWith?.("again"))) as Json[];
    expect(again).toHaveLength(1000);
    expect(again.filter((entry) => entry.error !== undefined)).toEqual([]);
    client.wire.close();
  });

  test("hour-long waits: 256 may wait at once, the rest are answered -32003 at once; exit ends the ones waiting", async () => {
    const client = await connect();
    await start(client, "long", ["sleep", "300"]);
    const total = 2000;
    const hour = 3_600_000;
    const answers: Json[] = [];
    const { value: all, peakGrowth } = await peakRssDuring(daemon.pid, async () => {
      const waits = Array.from({ length: total }, (_, i) =>
        client
          .request(i % 2 === 0 ? "process/wait" : "process/read", i % 2 === 0 ? { processId: "long", timeoutMs: hour } : { processId: "long", waitMs: hour })
          .then((answer) => {
          answers.push(answer);
          return answer;
        }),
      );
      await client.until(() => answers.length >= total - 256, 15_000, "refusals");
      return waits;
    });
    await Bun.sleep(200);
    expect(answers).toHaveLength(total - 256);
    expect(answers.every((a) => a.error?.code === -32003 && a.error.message.includes("too many pending waits"))).toBe(true);
    expect(answers[0]!.error!.data).toEqual({ limit: "pendingWaits", value: 256 });
    await expectCanaryServed();
    await client.call("process/terminate", { processId: "long" });
    const settled = await Promise.all(all);
    const ended = settled.filter((a) => a.error === undefined);
    expect(ended).toHaveLength(256);
    expect(ended.every((a) => a.result.exited === true)).toBe(true);
    // The budget is free again.
    await start(client, "short", ["sleep", "0.1"]);
    expect((await client.call("process/wait", { processId: "short", timeoutMs: hour })).exited).toBe(true);
    expect(peakGrowth).toBeLessThan(64 * MiB);
    figures.push(`waits flood (${total}): peak +${(peakGrowth / MiB).toFixed(1)} MiB`);
    client.wire.close();
  });

  for (const backend of ["native", "ffi"] as const) {
    test(`PTY input flood (${backend}): a child that does not read gets at most 8 MiB pending, the rest -32003`, async () => {
      const target = backend === "native" ? daemon : await startDaemon(["--pty-backend", "ffi"]);
      const client = await connect(target.url);
      // `sleep` never reads its terminal: the kernel takes a few KiB, then input waits.
      await start(client, "tty", ["sleep", "300"], { tty: true });
      const chunk = Buffer.alloc(64 * 1024, 0x61).toString("base64");
      const total = 400; // 25 MiB
      const answers: Json[] = [];
      const { value: all, peakGrowth } = await peakRssDuring(target.pid, async () => {
        const writes = Array.from({ length: total }, () =>
          client.request("process/write", { processId: "tty", chunk }).then((answer) => {
          answers.push(answer);
          return answer;
        }),
        );
        await client.until(() => answers.filter((a) => a.error?.code === -32003).length >= total - 140, 15_000, "refusals");
        return writes;
      });
      const refused = answers.filter((a) => a.error?.code === -32003);
      // 8 MiB of 64 KiB writes is 128 pending; the few the kernel took were answered.
      expect(refused.length).toBeGreaterThanOrEqual(total - 140);
      expect(refused[0]!.error!.message).toContain("too much pending input for process tty");
      expect(refused[0]!.error!.data).toEqual({ limit: "pendingInputBytes", value: 8 * MiB });
      await expectCanaryServed(target.url);
      await client.call("process/terminate", { processId: "tty" });
      expect(await Promise.all(all)).toHaveLength(total);
      // The flood itself is 34 MiB of JSON parsed and decoded at once; what stays pending is at most 8 MiB.
      expect(peakGrowth).toBeLessThan(160 * MiB);
      figures.push(`PTY input flood ${backend} (${total} x 64 KiB): ${refused.length} refused, peak +${(peakGrowth / MiB).toFixed(1)} MiB`);
      client.wire.close();
      if (target !== daemon) await target.stop();
    });
  }

  test("slowloris: half-sent upgrade requests and half-sent frames do not stop others, and are dropped", async () => {
    const port = daemon.port;
    const halfUpgrades: RawSocket[] = [];
    const halfFrames: RawSocket[] = [];
    const { peakGrowth } = await peakRssDuring(daemon.pid, async () => {
      for (let i = 0; i < 100; i++) {
        const socket = await RawSocket.open(port);
        const request = upgradeRequest(port);
        await socket.write(request.slice(0, request.length - 10)); // the headers never end
        halfUpgrades.push(socket);
      }
      for (let i = 0; i < 100; i++) {
        const socket = await RawSocket.open(port);
        await socket.write(upgradeRequest(port));
        await socket.readUntil("\r\n\r\n");
        // A frame announcing 1 MiB, of which 16 bytes ever come.
        const frame = clientFrame(Buffer.alloc(MiB, 0x20));
        await socket.write(frame.subarray(0, 30));
        halfFrames.push(socket);
      }
      await expectCanaryServed();
    });
    // Keepalive (--ping-interval 1 here) drops upgraded peers that never answer a ping.
    const deadline = Date.now() + 10_000;
    while (halfFrames.some((socket) => !socket.ended) && Date.now() < deadline) await Bun.sleep(100);
    expect(halfFrames.filter((socket) => !socket.ended)).toHaveLength(0);
    // Bun's HTTP idle timeout (10 s) drops requests whose headers never end.
    const httpDeadline = Date.now() + 20_000;
    while (halfUpgrades.some((socket) => !socket.ended) && Date.now() < httpDeadline) await Bun.sleep(200);
    const stillOpen = halfUpgrades.filter((socket) => !socket.ended).length;
    for (const socket of [...halfUpgrades, ...halfFrames]) socket.destroy();
    expect(stillOpen).toBe(0);
    expect(peakGrowth).toBeLessThan(64 * MiB);
    figures.push(`slowloris (100 half upgrades, 100 half frames): peak +${(peakGrowth / MiB).toFixed(1)} MiB`);
    await expectCanaryServed();
  }, 60_000);
});
