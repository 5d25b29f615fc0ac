import {
  decodeBase64,
  ErrorCode,
  type MethodName,
  type NotificationParamsOf,
  type ParamsOf,
  type ResultOf,
  type ServerNotificationName,
} from "@x/exec-protocol";
import type { ClientEventName, ClientEvents } from "./client-events.ts";
import { openWebSocketTransport } from "./connection/websocket-transport.ts";
import { RpcConnection, type ConnectionState } from "./connection/rpc-connection.ts";
import { StdioTransport, type ByteReadable, type ByteWritable } from "./connection/stdio-transport.ts";
import type { Transport } from "./connection/transport.ts";
import { Emitter, type Subscription } from "./emitter.ts";
import { currentEnv } from "./env.ts";
import { createError, type ConnectionClosedError } from "./errors.ts";
import type { ExecWindow } from "./process/exec-window.ts";
import { ProcessHandle } from "./process/process-handle.ts";
import { ProcessState } from "./process/process-state.ts";
import type { RunResult } from "./process/run.ts";

export interface ClientOptions {
  /** Sent in `initialize`, for the server's logs. Default `"@x/exec-client"`. */
  readonly clientName?: string;
  /** How long to wait for the `initialize` answer. Default 10 000 ms. */
  readonly initializeTimeoutMs?: number;
  /** Output bytes held per process for readers that are behind. Default 1 MiB. */
  readonly outputBufferBytes?: number;
  /** Default `maxOutputBytes` of `exec` windows. Default 64 KiB. */
  readonly maxOutputBytes?: number;
}

export interface WebSocketConnectOptions extends ClientOptions {
  /** `ws://host:port` of an `exec-server --listen ws://...`. */
  readonly url: string;
  /** Sent as `Authorization: Bearer <token>` (the server's `--token`). */
  readonly token?: string;
  /** How long to wait for the socket to open. Default 10 000 ms. */
  readonly connectTimeoutMs?: number;
}

export interface StdioConnectOptions extends ClientOptions {
  /** The server's output (e.g. a child's `stdout`). */
  readonly readable: ByteReadable;
  /** The server's input (e.g. a child's `stdin`). */
  readonly writable: ByteWritable;
}

type StartParams = ParamsOf<"process/start">;

/** `process/start` params; `processId`, `cwd`, `env` and `tty` get defaults. */
export type StartOptions = Omit<StartParams, "processId" | "cwd" | "env" | "tty"> &
  Partial<Pick<StartParams, "processId" | "cwd" | "env" | "tty">>;

export interface RunOptions {
  /** Default: the client's `process.cwd()`. */
  readonly cwd?: string;
  /** The child's whole environment. Default: the client's `process.env`. */
  readonly env?: Record<string, string>;
  /** Written to stdin, which is then closed. Without it, stdin is closed from the start. */
  readonly stdin?: string | Uint8Array;
  /** Kill the process and reject with ExecTimeoutError after this long. */
  readonly timeoutMs?: number;
}

export interface ExecOptions extends Omit<StartOptions, "pipeStdin"> {
  readonly yieldTimeMs: number;
  readonly maxOutputBytes?: number;
}

const DEFAULT_CLIENT_NAME = "@x/exec-client";
const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_OUTPUT_BUFFER_BYTES = 1024 * 1024;
const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024;

type Emitters = { [E in ClientEventName]: Emitter<ClientEvents[E]> };

/** A connection to one exec-server, and the processes started through it. */
export class ExecServerClient implements AsyncDisposable {
  private readonly connection: RpcConnection;
  private readonly processes = new Map<string, ProcessState>();
  private readonly emitters: Emitters = {
    output: new Emitter(),
    exited: new Emitter(),
    closed: new Emitter(),
    disconnect: new Emitter(),
  };
  private readonly outputBufferBytes: number;
  private readonly maxOutputBytes: number;
  private readonly backlogged = new Set<ProcessState>();
  private nextProcessNumber = 1;
  private closing: Promise<void> | undefined;
  /** The protocol version the server answered `initialize` with. */
  protocolVersion = "";

  private constructor(transport: Transport, options: ClientOptions) {
    this.outputBufferBytes = options.outputBufferBytes ?? DEFAULT_OUTPUT_BUFFER_BYTES;
    this.maxOutputBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    this.connection = new RpcConnection(transport, {
      notification: (method, params) => this.dispatch(method as ServerNotificationName, params),
      closed: (error) => this.onClosed(error),
    });
  }

  /** Connects to `exec-server --listen ws://IP:PORT` and completes the handshake. */
  static async connectWebSocket(options: WebSocketConnectOptions): Promise<ExecServerClient> {
    const transport = await openWebSocketTransport({
      url: options.url,
      token: options.token,
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_TIMEOUT_MS,
    });
    return ExecServerClient.connectTransport(transport, options);
  }

  /** Speaks NDJSON over a pair of byte streams (e.g. a child `exec-server`'s stdout and stdin). */
  static connectStdio(options: StdioConnectOptions): Promise<ExecServerClient> {
    return ExecServerClient.connectTransport(new StdioTransport(options.readable, options.writable), options);
  }

  /** Runs the handshake over any Transport (used by `connectInProcess`). */
  static async connectTransport(transport: Transport, options: ClientOptions = {}): Promise<ExecServerClient> {
    const client = new ExecServerClient(transport, options);
    try {
      const { protocolVersion } = await client.connection.request(
        "initialize",
        { clientName: options.clientName ?? DEFAULT_CLIENT_NAME },
        options.initializeTimeoutMs ?? DEFAULT_TIMEOUT_MS,
      ) as ResultOf<"initialize">;
      client.protocolVersion = protocolVersion;
      client.connection.notify("initialized", {});
      client.connection.markOpen();
      return client;
    } catch (error) {
      await client.close();
      throw error;
    }
  }

  /** "connecting" → "open" → "closed". */
  get state(): ConnectionState {
    return this.connection.state;
  }

  /** Any protocol method, typed from @x/exec-protocol. Rejects with ExecServerError. */
  request<M extends MethodName>(
    method: M,
    params: ParamsOf<M>,
    options: { timeoutMs?: number } = {},
  ): Promise<ResultOf<M>> {
    return this.connection.request(method, params, options.timeoutMs) as Promise<ResultOf<M>>;
  }

  /** Starts a process. Rejects with SpawnFailedError when the OS refuses to run it. */
  async start(options: StartOptions): Promise<ProcessHandle> {
    const { processId = this.newProcessId(), cwd, env, tty = false, ...rest } = options;
    if (this.processes.has(processId)) {
      throw createError(ErrorCode.InvalidRequest, `process ${processId} already exists`, { method: "process/start" });
    }
    const state = new ProcessState(processId, this.outputBufferBytes, this.onBacklog);
    this.processes.set(processId, state);
    try {
      const params = definedOnly({ ...rest, processId, cwd: cwd ?? process.cwd(), env: env ?? currentEnv(), tty });
      const { pid } = await this.request("process/start", params);
      return new ProcessHandle(this, state, pid, tty, this.maxOutputBytes);
    } catch (error) {
      if (this.processes.get(processId) === state) this.processes.delete(processId);
      throw error;
    }
  }

  /** Runs a pipe process to completion: feeds `stdin`, collects stdout and stderr. */
  async run(argv: string[], options: RunOptions = {}): Promise<RunResult> {
    const process = await this.start({ argv, cwd: options.cwd, env: options.env, pipeStdin: options.stdin !== undefined });
    return process.communicate({ stdin: options.stdin, timeoutMs: options.timeoutMs });
  }

  /** Starts a process and collects its first output window (see `ProcessHandle.exec`). */
  async exec(options: ExecOptions): Promise<ExecWindow> {
    const { yieldTimeMs, maxOutputBytes, ...start } = options;
    const process = await this.start(start);
    return process.exec({ yieldTimeMs, maxOutputBytes });
  }

  /** Every process of this connection, as the server sees it. */
  async list(): Promise<ResultOf<"process/list">["processes"]> {
    const { processes } = await this.request("process/list", {});
    return processes;
  }

  /** Subscribes to an event; dispose the subscription to stop. */
  on<E extends ClientEventName>(event: E, handler: (value: ClientEvents[E]) => void): Subscription {
    return this.emitters[event].subscribe(handler);
  }

  /**
   * Closes the connection: pending calls reject with ConnectionClosedError and
   * the server kills this connection's processes. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.connection.close("closed by the client");
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** While any process has more unread output than its buffer, the connection is paused. */
  private readonly onBacklog = (state: ProcessState, backlogged: boolean): void => {
    const before = this.backlogged.size;
    if (backlogged) this.backlogged.add(state);
    else this.backlogged.delete(state);
    if (before === 0 && this.backlogged.size > 0) this.connection.pause();
    else if (before > 0 && this.backlogged.size === 0) this.connection.resume();
  };

  private newProcessId(): string {
    let id: string;
    do id = `proc-${this.nextProcessNumber++}`;
    while (this.processes.has(id));
    return id;
  }

  private dispatch(method: ServerNotificationName, params: unknown): void {
    switch (method) {
      case "process/output": {
        const { processId, stream, chunk, seq: sentSeq } = params as NotificationParamsOf<"process/output">;
        const state = this.processes.get(processId);
        const seq = sentSeq ?? (state ? state.log.liveSeq + 1 : 0);
        const data = decodeBase64(chunk);
        state?.onOutput({ seq, stream, data });
        this.emitters.output.fire({ processId, stream, data, seq });
        return;
      }
      case "process/outputSkipped": {
        const { processId, toSeq } = params as NotificationParamsOf<"process/outputSkipped">;
        this.processes.get(processId)?.onSkipped(toSeq);
        return;
      }
      case "process/exited": {
        const { processId, exitCode, signal = null, seq } = params as NotificationParamsOf<"process/exited">;
        const state = this.processes.get(processId);
        state?.onExited({ exitCode, signal }, seq);
        this.emitters.exited.fire({ processId, exitCode, signal, seq: seq ?? state?.log.liveSeq ?? 0 });
        return;
      }
      case "process/closed": {
        const { processId, seq } = params as NotificationParamsOf<"process/closed">;
        this.processes.get(processId)?.onClosed(seq);
        this.processes.delete(processId); // nothing more will come for it
        this.emitters.closed.fire({ processId, seq });
        return;
      }
    }
  }

  private onClosed(error: ConnectionClosedError): void {
    for (const state of this.processes.values()) state.onConnectionFailed(error);
    this.processes.clear();
    this.emitters.disconnect.fire(error);
    for (const emitter of Object.values(this.emitters)) emitter.clear();
  }
}

/** Drops keys whose value is undefined: an in-process server sees the object as is, not as JSON. */
function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
