import { DaemonProcess } from "@x/exec-test-kit/daemon.ts";
import { ProtocolClient } from "@x/exec-test-kit/protocol-client.ts";
import { stdioWire, wsClientWire } from "@x/exec-test-kit/wire.ts";
import { WsClient } from "@x/exec-test-kit/ws-client.ts";
import { track } from "../lib/launch.ts";
import { Unsupported, childEnv, type Interactive, type Target, type TargetSpec } from "./target.ts";

function daemonFlags(spec: Pick<TargetSpec, "ptyBackend" | "daemonArgs">): string[] {
  const backend = spec.ptyBackend !== undefined && spec.ptyBackend !== "native" ? ["--pty-backend", spec.ptyBackend] : [];
  return [...backend, ...(spec.daemonArgs ?? [])];
}

/** The daemon, tracked so that an abandoned measurement still stops it. */
export async function startDaemon(
  transport: "stdio" | "websocket",
  spec: Pick<TargetSpec, "ptyBackend" | "daemonArgs"> = {},
): Promise<DaemonProcess> {
  const daemon = await DaemonProcess.start({ transport, args: daemonFlags(spec), startTimeoutMs: 15_000 });
  track(daemon.proc);
  return daemon;
}

/** Only the handlers the workloads register: no per-process records, nothing kept. */
const LEAN = { records: false, keepOutput: false } as const;

/** exec-server over a websocket (a daemon of its own) or over the daemon's stdio. */
export async function execServerTarget(spec: TargetSpec): Promise<ExecServerSession> {
  const websocket = spec.kind === "exec-server-ws";
  const daemon = await startDaemon(websocket ? "websocket" : "stdio", spec);
  try {
    const ws = websocket ? await WsClient.connect(daemon.url!) : undefined;
    const client = new ProtocolClient(ws ? wsClientWire(ws) : stdioWire(daemon), LEAN);
    await client.handshake("exec-server-bench", { binaryOutput: websocket && spec.binaryOutput === true });
    return new ExecServerSession(client, spec, daemon.pid, ws, async () => void (await daemon.stop("SIGTERM", 3_000)));
  } catch (error) {
    await daemon.stop("SIGTERM", 3_000);
    throw error;
  }
}

let nextProcessId = 1;

export class ExecServerSession implements Target {
  constructor(
    private readonly client: ProtocolClient,
    private readonly spec: TargetSpec,
    readonly serverPid: number,
    private readonly ws: WsClient | undefined,
    private readonly stopServer: () => Promise<void>,
  ) {}

  /** Starts the command; `onChunk` sees each decoded chunk. `started` settles with the start response. */
  private start(onChunk: (chunk: Buffer) => void): { processId: string; started: Promise<unknown>; exited: Promise<number> } {
    const processId = `p${nextProcessId++}`;
    let started!: Promise<unknown>;
    const exited = new Promise<number>((resolve, reject) => {
      // Registered before the request: output may arrive before the response.
      this.client.on("process/output", processId, (params) =>
        onChunk(params.data instanceof Uint8Array ? Buffer.from(params.data) : Buffer.from(params.chunk as string, "base64")),
      );
      this.client.on("process/exited", processId, (params) => {
        this.client.off(processId);
        resolve(params.exitCode as number);
      });
      started = this.client.call("process/start", {
        processId,
        argv: this.spec.command,
        cwd: "/tmp",
        env: childEnv(),
        tty: this.spec.tty,
        cols: 80,
        rows: 24,
      });
      started.catch(reject);
    });
    return { processId, started, exited };
  }

  async run(): Promise<number> {
    let bytes = 0;
    await this.start((chunk) => (bytes += chunk.length)).exited;
    return bytes;
  }

  async interactive(onData: (chunk: Uint8Array) => void): Promise<Interactive> {
    const { processId, started, exited } = this.start(onData);
    await started;
    return {
      write: (data) => {
        void this.client.call("process/write", { processId, chunk: Buffer.from(data).toString("base64") });
      },
      close: async () => {
        await this.client.call("process/terminate", { processId });
        await exited;
      },
    };
  }

  async runThrottled(bytesPerSec: number, durationMs: number): Promise<number> {
    if (!this.ws) throw new Unsupported("throttled reads need the websocket transport");
    let bytes = 0;
    this.ws.limitRate(bytesPerSec);
    this.start((chunk) => (bytes += chunk.length)).exited.catch(() => {});
    await Bun.sleep(durationMs);
    return bytes;
  }

  /** Readable after exit: used by the protocol-overhead workload. */
  rpc(): ProtocolClient {
    return this.client;
  }

  async close(): Promise<void> {
    this.client.close();
    await this.stopServer();
  }
}


