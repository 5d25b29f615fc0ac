import type { ServerConfig } from "../config.ts";
import type { ChildHandle, ProcessBackend, SpawnSpec } from "./backend.ts";
import type { LiveSink } from "./live-sink.ts";
import { ManagedProcess } from "./managed-process.ts";
import { pipeBackend } from "./pipe-backend.ts";
import { ptyNativeBackend } from "./pty-native-backend.ts";
import { createTreeTracker, type TreeTracker } from "./process-tree.ts";

/**
 * Spawns children on the right backend and knows every live one, so the daemon
 * can kill them all on shutdown whichever connection owns them.
 */
export class ProcessManager {
  /** Every process not yet disposed, running or exited (an exited one may have left escapees). */
  private readonly owned = new Set<ManagedProcess>();
  private readonly ptyBackend: ProcessBackend;
  readonly trees: TreeTracker = createTreeTracker();

  constructor(readonly config: ServerConfig) {
    this.ptyBackend = ptyNativeBackend;
  }

  /** Throws SpawnError when the OS refuses. */
  spawn(processId: string, spec: SpawnSpec, tty: boolean, sink: LiveSink): ManagedProcess {
    const backend = tty ? this.ptyBackend : pipeBackend;
    const child: ChildHandle = backend.spawn(spec);
    const tree = this.trees.track(child.pid);
    const managed = new ManagedProcess(processId, spec.argv, child, tty, tree, this.config, sink);
    this.owned.add(managed);
    // Kept until reaped too, so shutdown waits for children already being killed.
    managed.onDisposed(() => void child.exited.then(() => this.owned.delete(managed)));
    return managed;
  }

  get runningCount(): number {
    let running = 0;
    for (const managed of this.owned) if (managed.running) running++;
    return running;
  }

  /** Kills every child's whole tree and waits until the children have exited. */
  async killAll(): Promise<void> {
    const all = [...this.owned];
    for (const managed of all) managed.dispose();
    await Promise.all(all.map((managed) => managed.child.exited));
    this.trees.dispose();
  }
}
