import { stat } from "node:fs/promises";
import { isAbsolute } from "node:path";
import {
  decodeBase64,
  isMethodName,
  parseParams,
  PROTOCOL_VERSION,
  RpcError,
  type MethodName,
  type ParamsOf,
  type ResultOf,
} from "@x/exec-protocol";
import type { ServerConfig } from "../config.ts";
import { silentLogger, type Logger } from "../log.ts";
import { SpawnError } from "../process/backend.ts";
import type { LiveSink } from "../process/live-sink.ts";
import type { ProcessManager } from "../process/process-manager.ts";
import { Handshake } from "./handshake.ts";
import { ProcessTable } from "./process-table.ts";

type MethodImpl<M extends MethodName> = (params: ParamsOf<M>) => ResultOf<M> | Promise<ResultOf<M>>;

const DEFAULT_READ_MAX_BYTES = 64 * 1024;
const DEFAULT_TERM = "xterm-256color";

/**
 * The exec methods of one connection, callable without JSON: the JSON-RPC
 * connection and the in-process client both come through `handleRequest`.
 */
export class ExecHandler {
  private readonly handshake = new Handshake();
  private readonly processes: ProcessTable;
  private closed = false;

  private readonly methods: { [M in MethodName]: MethodImpl<M> } = {
    initialize: (params) => this.initialize(params),
    "process/start": (params) => this.start(params),
    "process/read": (params) => this.read(params),
    "process/write": (params) => this.write(params),
    "process/terminate": (params) => this.terminate(params),
    "process/closeStdin": async (params) => {
      await this.processes.require(params.processId).closeStdin();
      return {};
    },
    "process/signal": (params) => {
      this.processes.require(params.processId).signal(params.signal);
      return {};
    },
    "process/wait": (params) => this.processes.require(params.processId).wait(params),
    "process/list": () => ({ processes: [...this.processes.values()].map((managed) => managed.info()) }),
    "process/resize": (params) => {
      this.processes.require(params.processId).resize(params.cols, params.rows);
      return {};
    },
    "process/snapshot": (params) => this.processes.require(params.processId).snapshot(params),
  };

  constructor(
    private readonly manager: ProcessManager,
    private readonly sink: LiveSink,
    private readonly log: Logger = silentLogger,
  ) {
    this.processes = new ProcessTable(this.config.exitedRetentionMs);
  }

  private get config(): ServerConfig {
    return this.manager.config;
  }

  /** Validates and runs one request. Throws RpcError for anything the client should hear about. */
  async handleRequest(method: string, params: unknown): Promise<unknown> {
    if (!isMethodName(method)) throw RpcError.invalidRequest(`unknown method: ${method}`);
    return this.call(method, parseParams(method, params));
  }

  /** Typed entry point for callers that already hold valid params. */
  async call<M extends MethodName>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
    if (this.closed) throw RpcError.invalidRequest("connection is closed");
    if (method !== "initialize") this.handshake.requireReady(method);
    return (this.methods[method] as MethodImpl<M>)(params);
  }

  handleNotification(method: string, _params: unknown): void {
    if (method === "initialized") {
      if (!this.handshake.initialized()) this.log.warn("ignored out-of-order initialized notification");
      return;
    }
    this.log.warn(`ignored unknown client notification ${JSON.stringify(method.slice(0, 100))}`);
  }

  /** Kills every process of this connection. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.processes.clear();
  }

  private initialize(params: ParamsOf<"initialize">): ResultOf<"initialize"> {
    this.handshake.initialize(params.clientName);
    this.log.debug(`client ${JSON.stringify(params.clientName)} initialized`);
    return { protocolVersion: PROTOCOL_VERSION };
  }

  private async start(params: ParamsOf<"process/start">): Promise<ResultOf<"process/start">> {
    const { processId, argv, cwd, tty } = params;
    if (this.processes.has(processId)) throw RpcError.invalidRequest(`process ${processId} already exists`);
    if (argv.length === 0) throw RpcError.invalidParams("argv must not be empty");
    if (!isAbsolute(cwd)) throw RpcError.invalidParams("cwd must be an absolute path");
    const cwdStat = await stat(cwd).catch(() => undefined);
    if (!cwdStat?.isDirectory()) throw RpcError.invalidParams(`cwd ${cwd} does not exist or is not a directory`);
    // Checked again: another start with this id may have won while we awaited stat.
    if (this.processes.has(processId)) throw RpcError.invalidRequest(`process ${processId} already exists`);
    if (this.closed) throw RpcError.invalidRequest("connection is closed");
    const running = [...this.processes.values()].filter((managed) => managed.running).length;
    if (running >= this.config.maxProcesses) {
      throw RpcError.invalidRequest(
        `too many processes: this connection already runs ${running} (limit ${this.config.maxProcesses}, --max-processes)`,
      );
    }

    const env = tty && params.env.TERM === undefined ? { ...params.env, TERM: DEFAULT_TERM } : params.env;
    const spec = {
      argv,
      cwd,
      env,
      arg0: params.arg0 ?? undefined,
      cols: params.cols ?? 80,
      rows: params.rows ?? 24,
      pipeStdin: params.pipeStdin ?? false,
    };
    try {
      const managed = this.manager.spawn(processId, spec, tty, this.sink);
      this.processes.add(managed);
      this.log.debug(`started ${processId} (pid ${managed.child.pid}): ${JSON.stringify(argv)}`);
      return { processId, pid: managed.child.pid };
    } catch (error) {
      if (error instanceof SpawnError) throw RpcError.internal(error.message);
      throw error;
    }
  }

  private read(params: ParamsOf<"process/read">): Promise<ResultOf<"process/read">> {
    return this.processes
      .require(params.processId)
      .read(params.afterSeq ?? 0, params.maxBytes ?? DEFAULT_READ_MAX_BYTES, params.waitMs ?? 0);
  }

  private async write(params: ParamsOf<"process/write">): Promise<ResultOf<"process/write">> {
    const managed = this.processes.require(params.processId);
    try {
      await managed.write(decodeBase64(params.chunk), params.writeId);
    } catch (error) {
      if (error instanceof RpcError) throw error;
      throw RpcError.invalidRequest(`write to process ${params.processId} failed: ${(error as Error).message}`);
    }
    return { accepted: true };
  }

  private terminate(params: ParamsOf<"process/terminate">): ResultOf<"process/terminate"> {
    const managed = this.processes.get(params.processId);
    if (!managed) return { running: false };
    return { running: params.graceMs === undefined ? managed.kill() : managed.terminate(params.graceMs) };
  }
}
