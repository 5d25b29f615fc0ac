import { tmpdir } from "node:os";
import { CaseGenerator } from "./fuzz/case-generator.ts";
import { Prng } from "./prng.ts";
import { ProtocolClient } from "./protocol-client.ts";
import { openWebSocketWire } from "./wire.ts";

/** What the load did, for the soak's summary. */
export class LoadCounters {
  processes = 0;
  bytes = 0;
  connections = 0;
  dropped = 0;
  fuzzMessages = 0;
  errors: string[] = [];

  fail(what: string, error: unknown): void {
    if (this.errors.length < 20) this.errors.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export interface LoadContext {
  readonly url: string;
  /** `NAME=value` carried by every child, also present in `env`. */
  readonly marker: string;
  readonly env: Record<string, string>;
  readonly counters: LoadCounters;
  readonly until: () => boolean;
  readonly rng: Prng;
}

async function connect(context: LoadContext, name: string): Promise<ProtocolClient> {
  const client = new ProtocolClient(await openWebSocketWire(context.url), { keepOutput: false });
  await client.handshake(name);
  context.counters.connections++;
  return client;
}

/** Short-lived pipe children with output of random size, checked for length. */
export async function shortChildren(context: LoadContext): Promise<void> {
  const client = await connect(context, "soak-short");
  for (let n = 0; context.until(); n++) {
    const size = context.rng.int(256 * 1024);
    const processId = `s${n}`;
    try {
      await client.call("process/start", {
        processId,
        argv: ["sh", "-c", `head -c ${size} /dev/zero; exit ${n % 4}`],
        cwd: tmpdir(),
        env: context.env,
        tty: false,
      });
      context.counters.processes++;
      await client.waitClosed(processId, 30_000);
      const record = client.process(processId);
      if (record.bytes !== size) context.counters.fail("short child", `${record.bytes} bytes, expected ${size}`);
      context.counters.bytes += record.bytes;
      client.forget(processId);
    } catch (error) {
      context.counters.fail("short child", error);
    }
  }
  client.close();
}

/** Interactive PTY sessions: write, read the echo, resize, snapshot, terminate. */
export async function ptySessions(context: LoadContext): Promise<void> {
  const client = await connect(context, "soak-pty");
  for (let n = 0; context.until(); n++) {
    const processId = `t${n}`;
    try {
      await client.call("process/start", { processId, argv: ["cat"], cwd: tmpdir(), env: context.env, tty: true, cols: 80, rows: 24 });
      context.counters.processes++;
      for (let line = 0; line < 20 && context.until(); line++) {
        const before = client.process(processId).bytes;
        await client.call("process/write", { processId, chunk: Buffer.from(`line ${line} of ${n}\n`).toString("base64") });
        await client.until(() => client.process(processId).bytes > before, 10_000, "echo");
        if (line % 5 === 0) await client.call("process/resize", { processId, cols: 80 + line, rows: 24 });
        if (line % 7 === 0) await client.call("process/snapshot", { processId });
      }
      context.counters.bytes += client.process(processId).bytes;
      await client.call("process/terminate", { processId });
      await client.waitExited(processId, 10_000);
      client.forget(processId);
    } catch (error) {
      context.counters.fail("pty session", error);
    }
  }
  client.close();
}

/** Connections that start a fast writer and vanish without a close frame. */
export async function droppedConnections(context: LoadContext): Promise<void> {
  while (context.until()) {
    try {
      const client = await connect(context, "soak-drop");
      await client.call("process/start", { processId: "yes", argv: ["sh", "-c", "sleep 1000 & yes"], cwd: tmpdir(), env: context.env, tty: false });
      context.counters.processes++;
      await client.until(() => client.process("yes").bytes > 0, 10_000, "output");
      await Bun.sleep(context.rng.range(50, 400));
      context.counters.bytes += client.process("yes").bytes;
      client.wire.destroy();
      context.counters.dropped++;
      await Bun.sleep(200);
    } catch (error) {
      context.counters.fail("dropped connection", error);
    }
  }
}

/** A trickle of fuzz messages; responses are not counted here (the fuzzer does that). */
export async function fuzzTrickle(context: LoadContext): Promise<void> {
  while (context.until()) {
    try {
      const client = await connect(context, "soak-fuzz");
      const generator = new CaseGenerator({
        rng: context.rng.fork(),
        markerName: context.marker.slice(0, context.marker.indexOf("=")),
        markerValue: context.marker.slice(context.marker.indexOf("=") + 1),
        hugeMaxBytes: 64 * 1024,
        cwd: tmpdir(),
      });
      const started = performance.now();
      while (context.until() && performance.now() - started < 30_000) {
        const fuzzCase = generator.random();
        if (typeof fuzzCase.payload === "string") client.wire.send(fuzzCase.payload);
        else client.wire.sendRaw(fuzzCase.payload);
        context.counters.fuzzMessages++;
        await Bun.sleep(5);
      }
      client.close();
    } catch (error) {
      context.counters.fail("fuzz trickle", error);
    }
  }
}
