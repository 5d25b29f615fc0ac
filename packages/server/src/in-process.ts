import {
  ExecServerClient,
  PauseGate,
  type ClientOptions,
  type OutboundMessage,
  type Transport,
  type TransportReceiver,
} from "@x/exec-client";
import { RpcError, type RpcErrorObject } from "@x/exec-protocol";
import type { ServerConfig } from "./config.ts";
import { ExecServer } from "./exec-server.ts";
import { silentLogger, type Logger } from "./log.ts";
import type { LiveSink } from "./process/live-sink.ts";
import { toWireNotification } from "./rpc/wire-notification.ts";
import { ExecHandler } from "./session/exec-handler.ts";

export interface InProcessOptions extends ClientOptions {
  /** Server settings; clients that pass none share one server per process. */
  readonly config?: Partial<ServerConfig>;
  readonly log?: Logger;
}

const KILL_WAIT_MS = 5000;

/**
 * Clients without their own settings share one server, which exists only while
 * one of them is open: each server's process manager acts for the whole process
 * (it makes it a subreaper), so fewer, shorter-lived ones are better.
 */
const shared = { server: undefined as ExecServer | undefined, clients: 0 };

/**
 * A client whose server runs in this process: requests go straight to an
 * ExecHandler and notifications come back as objects, with no JSON on the way.
 * Closing the client kills its processes and waits until they have exited.
 */
export function connectInProcess(options: InProcessOptions = {}): Promise<ExecServerClient> {
  if (options.config !== undefined || options.log !== undefined) {
    const server = new ExecServer(options.config, options.log ?? silentLogger);
    return ExecServerClient.connectTransport(new InProcessTransport(server, () => server.shutdown()), options);
  }
  const server = (shared.server ??= new ExecServer({}, silentLogger));
  shared.clients++;
  const release = async () => {
    if (--shared.clients > 0 || shared.server !== server) return;
    shared.server = undefined;
    await server.shutdown();
  };
  return ExecServerClient.connectTransport(new InProcessTransport(server, release), options);
}

class InProcessTransport implements Transport {
  private readonly handler: ExecHandler;
  private receiver: TransportReceiver | undefined;
  private closed = false;
  private readonly gate = new PauseGate();

  constructor(
    server: ExecServer,
    /** Runs once this transport is closed and its processes are gone. */
    private readonly released: () => Promise<void>,
  ) {
    const transport = this;
    const sink: LiveSink = {
      // While the client is paused, processes stop sending (and pipes stop being read).
      get writable() {
        return !transport.gate.paused;
      },
      whenWritable: () => transport.gate.opened,
      // A microtask, so a client reacting to output never re-enters the process that sent it.
      send: (notification) => queueMicrotask(() => this.deliver(toWireNotification(notification))),
    };
    this.handler = new ExecHandler(server.manager, server.sessions, sink, { allowResume: false }, server.log);
  }

  pause(): void {
    this.gate.pause();
  }

  resume(): void {
    this.gate.resume();
  }

  start(receiver: TransportReceiver): void {
    this.receiver = receiver;
  }

  send(message: OutboundMessage): void {
    if (this.closed) return;
    if (!("id" in message)) {
      this.handler.handleNotification(message.method, message.params);
      return;
    }
    const { id } = message;
    this.handler.handleRequest(message.method, message.params).then(
      (result) => this.deliver({ id, result }),
      (error: unknown) => this.deliver({ id, error: toErrorObject(error) }),
    );
  }

  /** Kills this client's processes and waits until they have exited. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.resume();
    await this.killProcesses().catch(() => {});
    this.handler.close();
    await this.released();
  }

  /** Through the handler's own methods, so the wait ends when the server has seen each exit. */
  private async killProcesses(): Promise<void> {
    const { processes } = await this.handler.call("process/list", {});
    await Promise.all(
      processes
        .filter((info) => info.running)
        .map(async ({ processId }) => {
          await this.handler.call("process/terminate", { processId });
          await this.handler.call("process/wait", { processId, timeoutMs: KILL_WAIT_MS, until: { exit: true } });
        }),
    );
  }

  private deliver(message: object): void {
    if (!this.closed) this.receiver?.message(message);
  }
}

/** As the JSON-RPC connection does: anything but an RpcError is an internal error. */
function toErrorObject(error: unknown): RpcErrorObject {
  if (error instanceof RpcError) return error.toJSON();
  return RpcError.internal(`internal error: ${error instanceof Error ? error.message : String(error)}`).toJSON();
}
