import { RpcError } from "@x/exec-protocol";
import type { ManagedProcess } from "../process/managed-process.ts";

/**
 * The processes of one connection by client-chosen id. An exited process stays
 * for the retention period (readable), then its id is free again.
 */
export class ProcessTable {
  private readonly byId = new Map<string, ManagedProcess>();
  private readonly expiryTimers = new Map<string, Timer>();

  constructor(private readonly exitedRetentionMs: number) {}

  get size(): number {
    return this.byId.size;
  }

  has(processId: string): boolean {
    return this.byId.has(processId);
  }

  get(processId: string): ManagedProcess | undefined {
    return this.byId.get(processId);
  }

  require(processId: string): ManagedProcess {
    const managed = this.byId.get(processId);
    if (!managed) throw RpcError.invalidRequest(`unknown process id ${processId}`);
    return managed;
  }

  add(managed: ManagedProcess): void {
    this.byId.set(managed.processId, managed);
    managed.output.onExitNotified(() => {
      const timer = setTimeout(() => this.remove(managed), this.exitedRetentionMs);
      timer.unref();
      this.expiryTimers.set(managed.processId, timer);
    });
  }

  values(): IterableIterator<ManagedProcess> {
    return this.byId.values();
  }

  /** Kills and forgets every process; resolves once their leaders have exited. */
  clear(): Promise<void> {
    for (const timer of this.expiryTimers.values()) clearTimeout(timer);
    this.expiryTimers.clear();
    const all = [...this.byId.values()];
    this.byId.clear();
    for (const managed of all) managed.dispose();
    return Promise.all(all.map((managed) => managed.child.exited)).then(() => {});
  }

  private remove(managed: ManagedProcess): void {
    if (this.byId.get(managed.processId) !== managed) return;
    this.byId.delete(managed.processId);
    this.expiryTimers.delete(managed.processId);
    managed.dispose();
  }
}
