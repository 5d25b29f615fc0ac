import type { FsChange, NotificationParamsOf } from "@x/exec-protocol";

export interface WatchListener {
  push(changes: FsChange[]): void;
  /** The connection ended. */
  end(): void;
}

/** Routes fs/changed notifications to the watch that asked for them. */
export class WatchRouter {
  private readonly listeners = new Map<string, WatchListener>();

  add(watchId: string, listener: WatchListener): void {
    this.listeners.set(watchId, listener);
  }

  remove(watchId: string): void {
    this.listeners.delete(watchId);
  }

  dispatch(params: NotificationParamsOf<"fs/changed">): void {
    this.listeners.get(params.watchId)?.push(params.changes);
  }

  endAll(): void {
    for (const listener of [...this.listeners.values()]) listener.end();
    this.listeners.clear();
  }
}
