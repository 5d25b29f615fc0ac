import { PauseGate, type OutboundMessage, type Transport, type TransportReceiver } from "@x/exec-protocol";
import type { ServerConfig } from "../config.ts";
import { ExecServer } from "../exec-server.ts";
import { silentLogger, type Logger } from "../log.ts";
import type { RpcConnection } from "../rpc/rpc-connection.ts";

export interface InProcessOptions {
  /** Server settings; transports that pass none share one server per process. */
  readonly config?: Partial<ServerConfig>;
  readonly log?: Logger;
}

/**
 * Transports without their own settings share one server, which exists only
 * while one of them is open: each server's process manager acts for the whole
 * process (it makes it a subreaper), so fewer, shorter-lived ones are better.
 */
const shared = { server: undefined as ExecServer | undefined, users: 0 };

/**
 * A Transport whose server runs in this process, for `ExecServerClient.connectTransport`:
 * messages go to the same RpcConnection + ExecHandler as stdio and websocket
 * peers get, as objects, with no JSON on the way. Closing it kills its
 * processes and resolves once they have exited.
 */
export function createInProcessTransport(options: InProcessOptions = {}): Transport {
  if (options.config !== undefined || options.log !== undefined) {
    const server = new ExecServer(options.config, options.log ?? silentLogger);
    return new InProcessTransport(server, () => server.shutdown());
  }
  const server = (shared.server ??= new ExecServer({}, silentLogger));
  shared.users++;
  const release = async () => {
    if (--shared.users > 0 || shared.server !== server) return;
    shared.server = undefined;
    await server.shutdown();
  };
  return new InProcessTransport(server, release);
}

class InProcessTransport implements Transport {
  private readonly connection: RpcConnection;
  private receiver: TransportReceiver | undefined;
  private closed = false;
  private readonly gate = new PauseGate();

  constructor(
    server: ExecServer,
    /** Runs once this transport is closed and its processes are gone. */
    private readonly released: () => Promise<void>,
  ) {
    this.connection = server.openConnection(
      {
        // RpcConnection sends objects whenever sendMessage exists: text never comes here.
        send: () => {
          throw new Error("an in-process connection carries objects, not text");
        },
        // A microtask, so a client reacting to output never re-enters the process that sent it.
        sendMessage: (message) => queueMicrotask(() => this.deliver(message)),
        bufferedBytes: () => 0,
        // While the client is paused, processes stop sending (and pipes stop being read).
        closing: () => this.gate.paused,
        close: (reason) => this.end(reason),
      },
      "in-process connection",
    );
  }

  start(receiver: TransportReceiver): void {
    this.receiver = receiver;
  }

  send(message: OutboundMessage): void {
    if (!this.closed) this.connection.receiveMessage(message);
  }

  pause(): void {
    this.gate.pause();
  }

  resume(): void {
    this.gate.resume();
    this.connection.drained();
  }

  /** Kills this client's processes and waits until they have exited. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.gate.resume();
    await this.connection.closedByPeer("the in-process client closed").catch(() => {});
    await this.released();
  }

  /** The server closed the connection from its side. */
  private end(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.receiver?.closed(reason);
    void this.released();
  }

  private deliver(message: unknown): void {
    if (!this.closed) this.receiver?.message(message);
  }
}
