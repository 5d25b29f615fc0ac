import {
  decodeBase64Param,
  ErrorCode,
  isMachineMethod,
  isMethodName,
  Methods,
  parseParams,
  PROTOCOL_VERSION,
  RpcError,
  type MachineMethodName,
  type MethodName,
  type ParamsOf,
  type ResultOf,
} from "@x/exec-protocol";
import type { ServerConfig } from "../config.ts";
import type { FsRoots } from "../fs/fs-roots.ts";
import { MachineHandler } from "../machine/machine-handler.ts";
import { silentLogger, type Logger } from "../log.ts";
import { SpawnError } from "../process/backends/backend.ts";
import type { LiveSink } from "../process/output/live-sink.ts";
import type { ManagedProcess } from "../process/managed-process.ts";
import type { ProcessManager } from "../process/process-manager.ts";
import { Attachments } from "./attachments.ts";
import { Handshake } from "./handshake.ts";
import type { Session } from "./session.ts";
import type { SessionRegistry } from "./session-registry.ts";
import { isWaitingRequest, WaitBudget } from "./wait-budget.ts";

type MethodImpl<M extends MethodName> = (params: ParamsOf<M>) => ResultOf<M> | Promise<ResultOf<M>>;

/** How a request names its process: its own, or one of another session it attached. */
interface ProcessRef {
  readonly processId: string;
  readonly sessionId?: string;
}

export interface ExecHandlerOptions {
  /** Websocket connections may keep their session across a drop; stdio sessions end with stdin. */
  readonly allowResume: boolean;
  /** Switches the connection's process/output to binary frames; false if its transport cannot. */
  readonly enableBinaryOutput?: () => boolean;
  /** The daemon's `--fs-root` trees, resolved once for every connection. */
  readonly fsRoots: FsRoots;
}

const DEFAULT_READ_MAX_BYTES = 64 * 1024;
const DEFAULT_TERM = "xterm-256color";

/**
 * The exec methods of one connection, callable without JSON: the JSON-RPC
 * connection and the in-process client both come through `handleRequest`.
 */
export class ExecHandler {
  private readonly handshake = new Handshake();
  private readonly attachments: Attachments;
  private readonly waits = new WaitBudget();
  private session: Session | undefined;
  private closed = false;

  /** fs/*, environment/info, http/request: their own handler. */
  private readonly machine: MachineHandler;

  private readonly methods: { [M in Exclude<MethodName, MachineMethodName>]: MethodImpl<M> } = {
    initialize: (params) => this.initialize(params),
    "process/start": (params) => this.start(params),
    "process/read": (params) =>
      this.process(params, "read").read(
        params.afterSeq ?? 0,
        params.maxBytes ?? DEFAULT_READ_MAX_BYTES,
        params.waitMs ?? 0,
      ),
    "process/write": (params) => this.write(params),
    "process/terminate": (params) => this.terminate(params),
    "process/closeStdin": async (params) => {
      await this.process(params, "write").closeStdin();
      return {};
    },
    "process/signal": (params) => {
      this.process(params, "write").signal(params.signal === "interrupt" ? "SIGINT" : params.signal);
      return {};
    },
    "process/wait": (params) => this.process(params, "read").wait(params),
    "process/list": () => ({ processes: [...this.ownSession().processes.values()].map((managed) => managed.info()) }),
    "process/resize": (params) => {
      // Several writers may resize: the last one wins.
      this.process(params, "write").resize(params.cols, params.rows);
      return {};
    },
    "process/snapshot": (params) => this.process(params, "read").snapshot(params),
    "process/attach": (params) => {
      if (params.sessionId === this.ownSession().id) {
        throw RpcError.invalidRequest(`process ${params.processId} belongs to this connection's own session`);
      }
      const attached = this.attachments.attach(params);
      return {
        sessionId: params.sessionId,
        processId: params.processId,
        tty: attached.tty,
        running: attached.running,
        nextSeq: attached.output.ring.nextSeq,
      };
    },
    "process/detach": (params) => {
      this.attachments.detach(params.sessionId, params.processId);
      return {};
    },
  };

  constructor(
    private readonly manager: ProcessManager,
    private readonly sessions: SessionRegistry,
    private readonly connection: LiveSink,
    private readonly options: ExecHandlerOptions,
    private readonly log: Logger = silentLogger,
  ) {
    this.attachments = new Attachments(sessions, connection);
    this.machine = new MachineHandler(manager.config, options.fsRoots, connection);
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
    if (!Methods[method].beforeHandshake) this.handshake.requireReady(method);
    if (isMachineMethod(method)) return this.machine.call(method, params as ParamsOf<typeof method>) as ResultOf<M>;
    const impl = this.methods[method as Exclude<M, MachineMethodName>] as MethodImpl<M>;
    if (isWaitingRequest(method, params)) return this.waits.run(method, () => impl(params));
    return impl(params);
  }

  handleNotification(method: string, _params: unknown): void {
    if (method === "initialized") {
      if (!this.handshake.initialized()) this.log.warn("ignored out-of-order initialized notification");
      return;
    }
    this.log.warn(`ignored unknown client notification ${JSON.stringify(method.slice(0, 100))}`);
  }

  /**
   * The connection is gone: its attachments end; its session is kept for the
   * detached-session TTL if it asked to be resumable, else its processes die
   * (the promise resolves once they have exited). Idempotent.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.attachments.clear();
    this.machine.close();
    const session = this.session;
    if (!session) return;
    if (session.resumable) {
      session.detach(this.config.detachedSessionTtlMs);
      this.log.debug(`session ${session.id} detached for ${this.config.detachedSessionTtlMs} ms`);
    } else {
      await session.end();
    }
  }

  private ownSession(): Session {
    // requireReady() ran first, so initialize has created or resumed the session.
    return this.session!;
  }

  private process(ref: ProcessRef, need: "read" | "write"): ManagedProcess {
    const own = this.ownSession();
    if (ref.sessionId === undefined || ref.sessionId === own.id) return own.processes.require(ref.processId);
    return this.attachments.require(ref.sessionId, ref.processId, need);
  }

  private initialize(params: ParamsOf<"initialize">): ResultOf<"initialize"> {
    this.handshake.assertAwaitingInitialize();
    let session: Session;
    if (params.resumeSessionId !== undefined) {
      if (!this.options.allowResume) throw RpcError.invalidRequest("sessions can only be resumed over websocket");
      session = this.sessions.claim(params.resumeSessionId);
      for (const [processId, seq] of Object.entries(params.resumeFrom ?? {})) {
        session.processes.get(processId)?.output.rewind(seq);
      }
    } else {
      session = this.sessions.create(this.options.allowResume && params.resumable === true);
    }
    session.attach(this.connection);
    this.session = session;
    this.handshake.initialize(params.clientName);
    this.log.debug(`client ${JSON.stringify(params.clientName)} initialized session ${session.id}`);
    const binaryOutput = params.binaryOutput === true && (this.options.enableBinaryOutput?.() ?? false);
    return {
      protocolVersion: PROTOCOL_VERSION,
      sessionId: session.id,
      ...(params.resumeSessionId !== undefined && { resumed: true }),
      ...(params.binaryOutput !== undefined && { binaryOutput }),
    };
  }

  private async start(params: ParamsOf<"process/start">): Promise<ResultOf<"process/start">> {
    const { processId, argv, tty } = params;
    const { processes, sink } = this.ownSession();
    if (processes.has(processId)) throw RpcError.invalidRequest(`process ${processId} already exists`);
    if (argv.length === 0) throw RpcError.invalidParams("argv must not be empty");
    // Absolute path or file: URI, an existing directory, inside --fs-root.
    const cwd = await this.machine.fs.resolveCwd(params.cwd);
    await this.manager.prepare(tty).catch((error: unknown) => {
      throw error instanceof SpawnError ? RpcError.internal(error.message) : error;
    });
    // Checked again: another start with this id may have won while we awaited stat.
    if (processes.has(processId)) throw RpcError.invalidRequest(`process ${processId} already exists`);
    if (this.closed) throw RpcError.invalidRequest("connection is closed");
    const running = [...processes.values()].filter((managed) => managed.running).length;
    if (running >= this.config.maxProcesses) {
      throw RpcError.limitExceeded(
        `too many processes: this connection already runs ${running} (limit ${this.config.maxProcesses}, --max-processes)`,
        "--max-processes",
        this.config.maxProcesses,
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
      const managed = this.manager.spawn(processId, spec, tty, sink);
      processes.add(managed);
      this.log.debug(`started ${processId} (pid ${managed.child.pid}): ${JSON.stringify(argv)}`);
      return { processId, pid: managed.child.pid };
    } catch (error) {
      if (error instanceof SpawnError) throw new RpcError(ErrorCode.SpawnFailed, error.message, error.details);
      throw error;
    }
  }

  private async write(params: ParamsOf<"process/write">): Promise<ResultOf<"process/write">> {
    let managed: ManagedProcess;
    try {
      managed = this.process(params, "write");
    } catch (error) {
      // v0 clients hear an error; upstream's status rides along in `data`.
      if (error instanceof RpcError && error.data === undefined) throw new RpcError(error.code, error.message, { status: "unknownProcess" });
      throw error;
    }
    const bytes = decodeBase64Param(params.chunk, "invalid params for process/write: chunk");
    try {
      await managed.write(bytes, params.writeId);
    } catch (error) {
      // A bound that was hit (pending input) says so itself; anything else means stdin is gone.
      if (error instanceof RpcError && error.data !== undefined) throw error;
      const message = error instanceof RpcError ? error.message : `write to process ${params.processId} failed: ${(error as Error).message}`;
      const code = error instanceof RpcError ? error.code : ErrorCode.InvalidRequest;
      throw new RpcError(code, message, { status: "stdinClosed" });
    }
    return { accepted: true, status: "accepted" };
  }

  private terminate(params: ParamsOf<"process/terminate">): ResultOf<"process/terminate"> {
    const own = this.ownSession();
    const managed =
      params.sessionId === undefined || params.sessionId === own.id
        ? own.processes.get(params.processId)
        : this.attachments.require(params.sessionId, params.processId, "write");
    if (!managed) return { running: false };
    return { running: params.graceMs === undefined ? managed.kill() : managed.terminate(params.graceMs) };
  }
}
