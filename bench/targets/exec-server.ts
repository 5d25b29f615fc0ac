import { stdioChannel, wsChannel } from "../lib/channels.ts";
import { launchServer, stopProcess, track, type RunningServer } from "../lib/launch.ts";
import { DAEMON_ENTRY, REPO_ROOT } from "../lib/paths.ts";
import { RpcClient } from "../lib/rpc-client.ts";
import { WsClient } from "../lib/ws-client.ts";
import { Unsupported, childEnv, type Interactive, type Target, type TargetSpec } from "./target.ts";

function daemonFlags(spec: Pick<TargetSpec, "ptyBackend" | "daemonArgs">): string[] {
  const backend = spec.ptyBackend !== undefined && spec.ptyBackend !== "native" ? ["--pty-backend", spec.ptyBackend] : [];
  return [...backend, ...(spec.daemonArgs ?? [])];
}

export function startDaemon(spec: Pick<TargetSpec, "ptyBackend" | "daemonArgs"> = {}): Promise<RunningServer> {
  return launchServer({
    name: "exec-server",
    argv: [process.execPath, DAEMON_ENTRY, "--listen", "ws://127.0.0.1:0", "--no-auth", ...daemonFlags(spec)],
    cwd: REPO_ROOT,
    ready: /exec-server listening on (ws:\/\/\S+)/,
    toUrl: (match) => match[1]!,
  });
}

/** exec-server over a websocket (a daemon of its own) or over the daemon's stdio. */
export async function execServerTarget(spec: TargetSpec): Promise<ExecServerSession> {
  if (spec.kind === "exec-server-ws") {
    const server = await startDaemon(spec);
    try {
      const ws = await WsClient.connect(server.url);
      const client = await RpcClient.open(wsChannel(ws), { binaryOutput: spec.binaryOutput });
      return new ExecServerSession(client, spec, server.pid, ws, () => server.stop());
    } catch (error) {
      await server.stop();
      throw error;
    }
  }
  const proc = Bun.spawn([process.execPath, DAEMON_ENTRY, ...daemonFlags(spec)], {
    cwd: REPO_ROOT,
    stdin: "pipe",
    stdout: "pipe",
    stderr: "inherit",
  });
  track(proc);
  const client = await RpcClient.open(stdioChannel(proc));
  return new ExecServerSession(client, spec, proc.pid, undefined, () => stopProcess(proc));
}

let nextProcessId = 1;

export class ExecServerSession implements Target {
  constructor(
    private readonly client: RpcClient,
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
      started = this.client.request("process/start", {
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
        void this.client.request("process/write", { processId, chunk: Buffer.from(data).toString("base64") });
      },
      close: async () => {
        await this.client.request("process/terminate", { processId });
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
  rpc(): RpcClient {
    return this.client;
  }

  async close(): Promise<void> {
    this.client.close();
    await this.stopServer();
  }
}


