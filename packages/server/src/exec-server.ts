import { DEFAULT_CONFIG, type ServerConfig } from "./config.ts";
import { FsRoots } from "./fs/fs-roots.ts";
import { silentLogger, type Logger } from "./log.ts";
import { ProcessManager } from "./process/process-manager.ts";
import type { OutboundChannel } from "./rpc/outbound-channel.ts";
import { RpcConnection } from "./rpc/rpc-connection.ts";
import { ExecHandler } from "./session/exec-handler.ts";
import { SessionRegistry } from "./session/session-registry.ts";

/**
 * The composition root shared by every transport: one process manager for the
 * daemon, one RpcConnection + ExecHandler per peer.
 */
export class ExecServer {
  readonly config: ServerConfig;
  readonly manager: ProcessManager;
  readonly sessions: SessionRegistry;
  /** Resolved once: a root that later disappears or turns into a symlink changes nothing here. */
  private readonly fsRoots: FsRoots;

  constructor(config: Partial<ServerConfig> = {}, readonly log: Logger = silentLogger) {
    this.config = { ...DEFAULT_CONFIG, ...config };
    this.manager = new ProcessManager(this.config);
    this.sessions = new SessionRegistry(this.config.exitedRetentionMs, this.config);
    this.fsRoots = new FsRoots(this.config.fsRoots);
  }

  /** `allowResume`: the transport can reconnect (websocket), so a session may outlive it. */
  openConnection(channel: OutboundChannel, label: string, allowResume = false): RpcConnection {
    const connection = new RpcConnection(channel, {
      label,
      log: this.log,
      highWaterBytes: this.config.connectionHighWaterBytes,
      hardLimitBytes: this.config.connectionHardLimitBytes,
    });
    const options = { allowResume, enableBinaryOutput: () => connection.enableBinaryOutput(), fsRoots: this.fsRoots };
    connection.attach(new ExecHandler(this.manager, this.sessions, connection, options, this.log));
    return connection;
  }

  /** Kills every child of every connection and waits for them to exit. */
  async shutdown(): Promise<void> {
    this.sessions.endAll();
    await this.manager.killAll();
  }
}
