import type { TerminalView } from "./terminal-view.ts";

interface Chunk {
  readonly seq: number;
  readonly data: Uint8Array;
}

/** What a `process/snapshot` gives the page. */
export interface PageSnapshot {
  readonly seq: number;
  readonly serialized?: string;
  readonly screen?: { readonly cols: number; readonly rows: number } | null;
}

/**
 * Draws one process's output once each, in order: a snapshot (the rendered
 * screen as of seq N), then live chunks with seq > N. Chunks that arrive
 * before the snapshot is drawn are held; chunks at or below what was drawn
 * (replays after a resume) are dropped.
 */
export class OutputPainter {
  private drawnSeq = 0;
  private held: Chunk[] | undefined = [];
  /** Chunks dropped as already drawn: for tests and the curious. */
  duplicates = 0;

  constructor(private readonly view: TerminalView) {}

  get lastSeq(): number {
    return this.drawnSeq;
  }

  push(seq: number, data: Uint8Array): void {
    if (this.held) this.held.push({ seq, data });
    else this.draw(seq, data);
  }

  /** Clears the screen, draws `snapshot`, then what was held after it. */
  async paintSnapshot(snapshot: PageSnapshot): Promise<void> {
    const term = this.view.term;
    term.reset();
    if (snapshot.screen) term.resize(snapshot.screen.cols, snapshot.screen.rows);
    await this.view.write(snapshot.serialized ?? "");
    this.drawnSeq = snapshot.seq;
    this.goLive();
  }

  /** No snapshot to wait for (a process this page just started). */
  goLive(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const chunk of held) this.draw(chunk.seq, chunk.data);
  }

  private draw(seq: number, data: Uint8Array): void {
    if (seq <= this.drawnSeq) {
      this.duplicates++;
      return;
    }
    this.drawnSeq = seq;
    this.view.term.write(data);
  }
}
