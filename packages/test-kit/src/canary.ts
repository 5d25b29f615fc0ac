/** A process that prints a line every 50 ms, to show a connection keeps streaming while others misbehave. */
export const CANARY_ARGV = ["sh", "-c", "while :; do echo tick; sleep 0.05; done"];

export interface CanaryStats {
  readonly ticks: number;
  /** Longest silence between two output notifications, or since the last one. */
  readonly maxGapMs: number;
  readonly exited: boolean;
}

/**
 * Watches the output notifications of one process on a wire. Fed raw inbound
 * text, so it works beside any other consumer of the same connection.
 */
export class CanaryMonitor {
  private ticks = 0;
  private lastAt = 0;
  private maxGap = 0;
  private exited = false;
  private readonly marker: string;

  constructor(readonly processId: string) {
    this.marker = `"processId":${JSON.stringify(processId)}`;
  }

  /** Call with every inbound message text of the canary's connection. */
  feed(text: string): void {
    // Cheap pre-filter: most messages on a fuzzed connection are not the canary's.
    if (!text.includes(this.marker)) return;
    let message: { method?: string; params?: { processId?: string; chunk?: string } };
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (message.params?.processId !== this.processId) return;
    if (message.method === "process/exited") this.exited = true;
    if (message.method !== "process/output") return;
    const now = performance.now();
    if (this.lastAt > 0) this.maxGap = Math.max(this.maxGap, now - this.lastAt);
    this.lastAt = now;
    this.ticks += Buffer.from(message.params.chunk ?? "", "base64").toString().split("tick").length - 1;
  }

  stats(): CanaryStats {
    const sinceLast = this.lastAt > 0 ? performance.now() - this.lastAt : Number.POSITIVE_INFINITY;
    return { ticks: this.ticks, maxGapMs: Math.round(Math.max(this.maxGap, sinceLast)), exited: this.exited };
  }

  /** Resolves once the canary has ticked at least `count` times. */
  async waitTicks(count: number, timeoutMs = 10_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (this.ticks < count) {
      if (performance.now() > deadline) throw new Error(`canary ${this.processId} did not tick (${this.ticks} ticks)`);
      await Bun.sleep(20);
    }
  }
}
