import type { ServerConfig } from "../config.ts";
import type { ChildHandle, ProcessBackend, SpawnSpec } from "./backend.ts";
import type { LiveSink } from "./live-sink.ts";
import { ManagedProcess } from "./managed-process.ts";
import { pipeBackend } from "./pipe-backend.ts";
import { ptyNativeBackend } from "./pty-native-backend.ts";

/**
 * Spawns children on the right backend and knows every live one, so the daemon
 * can kill them all on shutdown whichever connection owns them.
 */
export class ProcessManager {
  private readonly live = new Set<ManagedProcess>();
  private readonly ptyBackend: ProcessBackend;

  constructor(readonly config: ServerConfig) {
    this.ptyBackend = ptyNativeBackend;
  }

  /** Throws SpawnError when the OS refuses. */
  spawn(processId: string, spec: SpawnSpec, tty: boolean, sink: LiveSink): ManagedProcess {
    const backend = tty ? this.ptyBackend : pipeBackend;
    const child: ChildHandle = backend.spawn(spec);
    const managed = new ManagedProcess(processId, child, tty, this.config, sink);
    this.live.add(managed);
    void child.exited.then(() => this.live.delete(managed));
    return managed;
  }

  get liveCount(): number {
    return this.live.size;
  }

  /** Kills every live child's process group and waits until all have exited. */
  async killAll(): Promise<void> {
    const all = [...this.live];
    for (const managed of all) managed.dispose();
    await Promise.all(all.map((managed) => managed.child.exited));
  }
}
