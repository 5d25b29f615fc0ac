import {
  ErrorCode,
  type AttachParams,
  type MethodName,
  type NotificationParamsOf,
  type ParamsOf,
  type ResultOf,
  type ServerNotificationName,
  type Transport,
} from "@x/exec-protocol";
import type { ClientEventName, ClientEvents } from "./client-events.ts";
import { resumePolicy, type ResumeOptions } from "./connection/resume-policy.ts";
import { SessionLink, type ConnectionState } from "./connection/session-link.ts";
import { StdioTransport, type ByteReadable, type ByteWritable } from "./connection/stdio-transport.ts";
import { openWebSocketTransport } from "./connection/websocket-transport.ts";
import { defaultCwd, defaultEnv } from "#platform";
import { Emitter, type Subscription } from "./emitter.ts";
import { FsClient } from "./fs/fs-client.ts";
import { WatchRouter } from "./fs/watch-router.ts";
import { BodyStreams } from "./http/body-streams.ts";
import { remoteFetch, type RemoteFetchInit } from "./http/fetch.ts";
import { ConnectionClosedError, createError } from "./errors.ts";
import type { AttachedProcessHandle } from "./process/attached-process-handle.ts";
import { Attacher } from "./process/attacher.ts";
import { ProcessHandle, type ExecWindow } from "./process/process-handle.ts";
import { ProcessRegistry } from "./process/process-registry.ts";
import type { ProcessState } from "./process/process-state.ts";
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
  /** `ws://host:port` of an `exec-server --listen ws://...`, or `unix:///path.sock` of `--listen unix://...`. */
  readonly url: string;
  /**
   * The server's `--token`. Bun sends it as `Authorization: Bearer <token>`;
   * a browser, which cannot set headers, as a websocket subprotocol value.
   */
  readonly token?: string;
  /**
   * Instead of `token`: fetches a one-time ticket (the server's `POST /ticket`)
   * for each socket opened, resumes included.
   */
  readonly ticket?: () => Promise<string>;
  /**
   * Take over this detached session (e.g. after a page reload) instead of
   * starting a new one; its processes are picked up with `adopt()`.
   */
  readonly resumeSessionId?: string;
  /** How long to wait for the socket to open. Default 10 000 ms. */
  readonly connectTimeoutMs?: number;
  /**
   * Ask for output as binary frames (raw bytes, no base64 or JSON). Default true; a server
   * that does not offer them answers `binaryOutput: false` and JSON output goes on.
   */
  readonly binaryOutput?: boolean;
  /**
   * Keep the session across a dropped socket: reconnect and resume it, so
   * processes and output iterators go on. `true` uses the defaults (see the README).
   */
  readonly resume?: boolean | ResumeOptions;
}

export interface StdioConnectOptions extends ClientOptions {
  /** The server's output (e.g. a child's `stdout`). */
  readonly readable: ByteReadable;
  /** The server's input (e.g. a child's `stdin`). */
  readonly writable: ByteWritable;
  /** The longest line accepted from the server; a longer one closes the connection. Default 64 MiB. */
  readonly maxMessageBytes?: number;
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

/** `process/attach` params; `afterSeq` defaults to 0 (all retained output first). */
export type AttachOptions = AttachParams;

export interface ExecOptions extends Omit<StartOptions, "pipeStdin"> {
  readonly yieldTimeMs: number;
  readonly maxOutputBytes?: number;
}

const DEFAULT_CLIENT_NAME = "@x/exec-client";
const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_OUTPUT_BUFFER_BYTES = 1024 * 1024;
const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024;
/** Bound on ending a resumable session's processes in `close()`. */
const END_SESSION_TIMEOUT_MS = 2000;

type Emitters = { [E in ClientEventName]: Emitter<ClientEvents[E]> };

/** What a websocket connection adds: resume (if asked for) and binary output frames. */
interface ResumeSetup {
  readonly option: WebSocketConnectOptions["resume"];
  readonly sessionId: string | undefined;
  readonly reopen: () => Promise<Transport>;
  readonly binaryOutput: boolean;
}

/** A connection to one exec-server, and the processes started through it. */
export class ExecServerClient implements AsyncDisposable {
  private readonly link: SessionLink;
  private readonly registry: ProcessRegistry;
  private readonly attacher: Attacher;
  private readonly emitters: Emitters = {
    output: new Emitter(),
    exited: new Emitter(),
    closed: new Emitter(),
    reconnecting: new Emitter(),
    reconnect: new Emitter(),
    disconnect: new Emitter(),
  };
  private readonly maxOutputBytes: number;
  private readonly watches = new WatchRouter();
  private readonly bodies = new BodyStreams((key, full) => this.onBacklog(key, full));
  private nextRequestNumber = 1;
  /** The server's file system: read, write, list, watch, stream (see FsClient). */
  readonly fs: FsClient = new FsClient(this, this.watches);
  /** Processes, and fetch bodies, with more unread data than their buffer. */
  private readonly backlogged = new Set<object>();
  private nextProcessNumber = 1;
  private closing: Promise<void> | undefined;

  private constructor(transport: Transport, options: ClientOptions, resume: ResumeSetup | undefined) {
    this.maxOutputBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    this.registry = new ProcessRegistry(
      options.outputBufferBytes ?? DEFAULT_OUTPUT_BUFFER_BYTES,
      this.onBacklog,
      (event, value) => this.emitters[event].fire(value as never),
    );
    this.attacher = new Attacher(this.registry, this, this.maxOutputBytes, () => this.state === "closed");
    const policy = resumePolicy(resume?.option);
    this.link = new SessionLink(
      transport,
      {
        clientName: options.clientName ?? DEFAULT_CLIENT_NAME,
        initializeTimeoutMs: options.initializeTimeoutMs ?? DEFAULT_TIMEOUT_MS,
        binaryOutput: resume?.binaryOutput ?? false,
        resume: policy && resume && { policy, reopen: resume.reopen },
        resumeSessionId: resume?.sessionId,
      },
      {
        notification: (method, params) => {
          if (method === "fs/changed") this.watches.dispatch(params as NotificationParamsOf<"fs/changed">);
          else if (method === "http/request/bodyDelta") this.bodies.dispatch(params as NotificationParamsOf<"http/request/bodyDelta">);
          else this.registry.dispatch(method as ServerNotificationName, params);
        },
        resumeFrom: () => this.registry.lastSeenSeqs(),
        restore: (request) => this.attacher.reattachAll(request),
        reconnecting: (error) => this.emitters.reconnecting.fire(error),
        reconnected: (info) => this.emitters.reconnect.fire(info),
        closed: (error) => this.onClosed(error),
      },
    );
  }

  /** Connects to `exec-server --listen ws://IP:PORT` (or `unix:///path.sock`) and completes the handshake. */
  static async connectWebSocket(options: WebSocketConnectOptions): Promise<ExecServerClient> {
    const open = () =>
      openWebSocketTransport({
        url: options.url,
        token: options.token,
        ticket: options.ticket,
        connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_TIMEOUT_MS,
      });
    return ExecServerClient.establish(await open(), options, {
      option: options.resume,
      sessionId: options.resumeSessionId,
      reopen: open,
      binaryOutput: options.binaryOutput ?? true,
    });
  }

  /** Speaks NDJSON over a pair of byte streams (e.g. a child `exec-server`'s stdout and stdin). */
  static connectStdio(options: StdioConnectOptions): Promise<ExecServerClient> {
    return ExecServerClient.connectTransport(new StdioTransport(options.readable, options.writable, options.maxMessageBytes), options);
  }

  /** Runs the handshake over any Transport (e.g. `createInProcessTransport()` of `exec-server`). */
  static connectTransport(transport: Transport, options: ClientOptions = {}): Promise<ExecServerClient> {
    return ExecServerClient.establish(transport, options, undefined);
  }

  private static async establish(
    transport: Transport,
    options: ClientOptions,
    resume: ResumeSetup | undefined,
  ): Promise<ExecServerClient> {
    const client = new ExecServerClient(transport, options, resume);
    try {
      await client.link.open();
      client.registry.ownSessionId = client.link.sessionId;
      return client;
    } catch (error) {
      await client.close();
      throw error;
    }
  }

  /** Output arrives as binary websocket frames (see WebSocketConnectOptions.binaryOutput). */
  get binaryOutput(): boolean {
    return this.link.binaryOutput;
  }

  /** "connecting" → "open" (⇄ "reconnecting" with `resume`) → "closed". */
  get state(): ConnectionState {
    return this.link.state;
  }

  /** The protocol version the server answered `initialize` with. */
  get protocolVersion(): string {
    return this.link.protocolVersion;
  }

  /** This client's session on the server: what other clients pass to `attach`. Kept across resumes. */
  get sessionId(): string | undefined {
    return this.link.sessionId;
  }

  /** Any protocol method, typed from @x/exec-protocol. Rejects with ExecServerError. */
  request<M extends MethodName>(
    method: M,
    params: ParamsOf<M>,
    options: { timeoutMs?: number } = {},
  ): Promise<ResultOf<M>> {
    return this.link.request(method, params, options.timeoutMs) as Promise<ResultOf<M>>;
  }

  /** Starts a process. Rejects with SpawnFailedError when the OS refuses to run it. */
  async start(options: StartOptions): Promise<ProcessHandle> {
    const { processId = this.newProcessId(), cwd, env, tty = false, ...rest } = options;
    if (this.registry.hasOwn(processId)) {
      throw createError(ErrorCode.InvalidRequest, `process ${processId} already exists`, { method: "process/start" });
    }
    const state = this.registry.addOwn(processId);
    state.holdForStart();
    try {
      const params = definedOnly({ ...rest, processId, cwd: cwd ?? defaultCwd(), env: env ?? defaultEnv(), tty });
      const { pid } = await this.request("process/start", params);
      state.started();
      return new ProcessHandle(this, state, pid, tty, this.maxOutputBytes);
    } catch (error) {
      this.registry.removeOwn(state);
      // The answer was lost with the socket; the server may have started it: do not leave it running.
      if (error instanceof ConnectionClosedError && this.state === "reconnecting") {
        void this.request("process/terminate", { processId }).catch(() => {});
      }
      throw error;
    }
  }

  /**
   * A handle for a process of the session taken over with `resumeSessionId`
   * (e.g. a terminal page after a reload). Live output goes on from where the
   * server's stream to the old connection stopped; `snapshot()` gives what
   * came before. Output with seq ≤ `afterSeq` is not delivered again.
   */
  adopt(processId: string, options: { tty: boolean; afterSeq?: number }): ProcessHandle {
    if (this.registry.hasOwn(processId)) {
      throw createError(ErrorCode.InvalidRequest, `process ${processId} is already known to this client`, {
        method: "adopt",
      });
    }
    const state = this.registry.addOwn(processId);
    if (options.afterSeq !== undefined && options.afterSeq > 0) state.onSkipped(options.afterSeq);
    return new ProcessHandle(this, state, undefined, options.tty, this.maxOutputBytes);
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

  /**
   * Follows a process of another session (another client's `sessionId`):
   * retained output after `afterSeq` first, then live. Routed by (sessionId,
   * processId), so it never collides with this client's own processes.
   */
  attach(options: AttachOptions): Promise<AttachedProcessHandle> {
    return this.attacher.attach(options);
  }

  /** Every process of this connection, as the server sees it. */
  async list(): Promise<ResultOf<"process/list">["processes"]> {
    const { processes } = await this.request("process/list", {});
    return processes;
  }

  /** Where the server runs: shell, cwd, OS, user, version, capabilities (environment/info). */
  environment(): Promise<ResultOf<"environment/info">> {
    return this.request("environment/info", {});
  }

  /**
   * `fetch`, made by the server from its machine (http/request): reaches what
   * listens on the server's localhost. Resolves a standard Response whose body
   * streams in as the server reads it.
   */
  fetch(input: string | URL | Request, init?: RemoteFetchInit): Promise<Response> {
    return remoteFetch(this, this.bodies, `fetch-${this.nextRequestNumber++}`, input, init);
  }

  /** Subscribes to an event; dispose the subscription to stop. */
  on<E extends ClientEventName>(event: E, handler: (value: ClientEvents[E]) => void): Subscription {
    return this.emitters[event].subscribe(handler);
  }

  /**
   * Closes the connection: pending calls reject with ConnectionClosedError and
   * the session's processes are killed. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.link.isResumable && this.state === "open") await this.endSessionProcesses();
      await this.link.close();
    })();
    return this.closing;
  }

  /**
   * Leaves a resumable session without ending it: the connection closes, the
   * processes go on, and the server keeps them for its detached-session TTL
   * (take them back with `resumeSessionId`). Idempotent; after `close()`, a no-op.
   */
  detach(): Promise<void> {
    this.closing ??= this.link.close();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /**
   * The server keeps a resumable session's processes for its TTL after the
   * socket closes, whoever closed it: a deliberate close ends them first.
   */
  private async endSessionProcesses(): Promise<void> {
    this.link.resumeReading(); // a paused connection would hold the answers back
    try {
      const { processes } = await this.request("process/list", {}, { timeoutMs: END_SESSION_TIMEOUT_MS });
      await Promise.all(
        processes
          .filter((info) => info.running)
          .map((info) =>
            this.request("process/terminate", { processId: info.processId }, { timeoutMs: END_SESSION_TIMEOUT_MS }).catch(() => {}),
          ),
      );
    } catch {
      // The connection is going anyway; the server's TTL ends what is left.
    }
  }

  /** While any process (or fetch body) has more unread data than its buffer, the connection is paused. */
  private readonly onBacklog = (state: object, backlogged: boolean): void => {
    const before = this.backlogged.size;
    if (backlogged) this.backlogged.add(state);
    else this.backlogged.delete(state);
    if (before === 0 && this.backlogged.size > 0) this.link.pauseReading();
    else if (before > 0 && this.backlogged.size === 0) this.link.resumeReading();
  };

  private newProcessId(): string {
    let id: string;
    do id = `proc-${this.nextProcessNumber++}`;
    while (this.registry.hasOwn(id));
    return id;
  }

  private onClosed(error: ConnectionClosedError): void {
    this.registry.failAll(error);
    this.watches.endAll();
    this.bodies.failAll(error);
    this.emitters.disconnect.fire(error);
    for (const emitter of Object.values(this.emitters)) emitter.clear();
  }
}

/** Drops keys whose value is undefined: an in-process server sees the object as is, not as JSON. */
function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
