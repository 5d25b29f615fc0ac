import { decodeBase64, type ResultOf, type DecodedOutputChunk } from "@x/exec-protocol";
import type { ProcessState, Reader } from "./process-state.ts";

/** Reads retained output after a seq from the server (process/read). */
export type FetchOutput = (afterSeq: number) => Promise<ResultOf<"process/read">>;

export interface NextOptions {
  /** Epoch ms after which `next` gives up with "timeout". */
  readonly deadline?: number;
  /** Return "exited" once the process has exited and every chunk sent before the exit was read. */
  readonly stopAtExit?: boolean;
}

export type NextResult = DecodedOutputChunk | "end" | "exited" | "timeout";

/**
 * One reader's position in a process's output. Chunks come from the client's
 * log while it still holds them and from the server's retention otherwise, so a
 * slow reader loses nothing the server still has. Chunks the server dropped
 * show as a jump in seq.
 */
export class OutputCursor implements Reader {
  private fetched: DecodedOutputChunk[] = [];
  lastActive = 0;
  waiting = false;

  constructor(
    private readonly state: ProcessState,
    private readonly fetch: FetchOutput,
    /** The seq of the last chunk this cursor returned (0: none yet). */
    public seq = 0,
    readonly holdIdleMs?: number,
  ) {}

  /** Stops holding output back for this cursor (it may still be used again). */
  release(): void {
    this.state.release(this);
  }

  async next(options: NextOptions = {}): Promise<NextResult> {
    this.state.touch(this);
    this.waiting = true;
    try {
      return await this.advance(options);
    } finally {
      this.waiting = false;
    }
  }

  private async advance(options: NextOptions): Promise<NextResult> {
    const { state } = this;
    const { log } = state;
    for (;;) {
      const fetched = this.fetched.shift();
      if (fetched) return this.take(fetched);
      const want = this.seq + 1;
      if (want <= log.liveSeq) {
        if (want > log.evictedThrough) {
          const held = log.after(this.seq);
          if (held) return this.take(held);
          this.seq = log.liveSeq; // the rest up to liveSeq was skipped by the server
          continue;
        }
        if (state.failure) throw state.failure;
        await this.refill();
        continue;
      }
      if (options.stopAtExit && state.exit && this.seq >= state.exit.seq) return "exited";
      if (state.closedSeq !== undefined && this.seq >= state.closedSeq) return "end";
      if (state.failure) throw state.failure;
      if (!(await waitForChange(state, options.deadline))) return "timeout";
    }
  }

  private take(chunk: DecodedOutputChunk): DecodedOutputChunk {
    this.seq = chunk.seq;
    this.state.progressed(this);
    return chunk;
  }

  private async refill(): Promise<void> {
    const result = await this.fetch(this.seq);
    this.fetched = result.chunks
      .filter((chunk) => chunk.seq > this.seq)
      .map(({ seq, stream, chunk }) => ({ seq, stream, data: decodeBase64(chunk) }));
    // Nothing retained after our position: continue from what the client holds.
    if (this.fetched.length === 0) this.seq = Math.max(this.seq, this.state.log.evictedThrough);
  }
}

/** False when the deadline passed first. */
async function waitForChange(state: ProcessState, deadline: number | undefined): Promise<boolean> {
  if (deadline === undefined) {
    await state.nextChange();
    return true;
  }
  const remaining = deadline - Date.now();
  if (remaining <= 0) return false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), remaining)));
  try {
    return await Promise.race([state.nextChange().then(() => true), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
