import type { ClientOptions, ExecServerClient } from "../../src/index.ts";

/** One connected client and the means to end it, for one kind of connection. */
export interface Connected {
  readonly client: ExecServerClient;
  /** Closes the client and whatever server the harness started for it. */
  close(): Promise<void>;
}

export interface Harness {
  readonly name: "websocket" | "stdio" | "in-process";
  connect(options?: ClientOptions): Promise<Connected>;
  /**
   * Connects to a server that `kill()` then ends abruptly (SIGKILL for a child,
   * closing every socket for a listener). Absent where there is no server to kill.
   */
  connectKillable?(options?: ClientOptions): Promise<Connected & { kill(): Promise<void> }>;
}
