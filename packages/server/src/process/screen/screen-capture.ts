import type { Screen, SnapshotParams, SnapshotResult } from "@x/exec-protocol";
import type { SerializeAddon } from "@xterm/addon-serialize";
import type { Terminal } from "@xterm/headless";

/** What a rendered terminal shows, read at one point in its output: the protocol's screen, and where it stands. */
export type ScreenSnapshot = Screen &
  Pick<SnapshotResult, "serialized" | "seq"> & {
    /** Output bytes skipped unparsed because the screen fell too far behind (it was reset there). */
    readonly droppedBytes: number;
  };

/** Rows of scrollback to include (and to serialize), and whether to serialize. */
export type CaptureOptions = Pick<SnapshotParams, "scrollback" | "serialize">;

const TRAILING_BLANKS = / +$/;

/** Reads the active buffer of an idle terminal (no write in flight). */
export function captureScreen(terminal: Terminal, scrollbackRows: number): Screen {
  const buffer = terminal.buffer.active;
  const { cols, rows } = terminal;
  const text = (y: number) => (buffer.getLine(y)?.translateToString(true) ?? "").replace(TRAILING_BLANKS, "");
  const lines: string[] = [];
  for (let y = 0; y < rows; y++) lines.push(text(buffer.baseY + y));
  const screen: Screen = {
    cols,
    rows,
    // xterm parks the cursor one past the last column while a wrap is pending.
    cursor: { x: Math.min(buffer.cursorX, cols - 1), y: buffer.cursorY },
    altScreen: buffer.type === "alternate",
    lines,
  };
  if (scrollbackRows <= 0) return screen;
  const count = Math.min(scrollbackRows, buffer.baseY);
  const scrollback: string[] = [];
  for (let y = buffer.baseY - count; y < buffer.baseY; y++) scrollback.push(text(y));
  return { ...screen, scrollback };
}

/** The screen of a terminal that has seen no output yet. */
export function blankScreen(cols: number, rows: number, scrollbackRows: number): Screen {
  const screen: Screen = { cols, rows, cursor: { x: 0, y: 0 }, altScreen: false, lines: Array<string>(rows).fill("") };
  return scrollbackRows > 0 ? { ...screen, scrollback: [] } : screen;
}

/**
 * Serializes the screen and `scrollbackRows` rows above it. The addon leaves out
 * the scroll region (DECSTBM): a terminal resumed without it scrolls the whole
 * screen where the program scrolls a region (vim, a status line). And it sets
 * origin mode last, which homes the cursor. So both are fixed up at the end,
 * then the cursor is put back (a pending wrap is lost in that case).
 */
export function serializeScreen(terminal: Terminal, addon: SerializeAddon, scrollbackRows: number): string {
  const serialized = addon.serialize({ scrollback: scrollbackRows });
  const region = scrollRegion(terminal) ?? { top: 0, bottom: terminal.rows - 1 };
  const origin = terminal.modes.originMode;
  if (!origin && region.top === 0 && region.bottom === terminal.rows - 1) return serialized;
  const buffer = terminal.buffer.active;
  const row = buffer.cursorY - (origin ? region.top : 0) + 1;
  const col = Math.min(buffer.cursorX, terminal.cols - 1) + 1;
  return `${serialized}\x1b[${region.top + 1};${region.bottom + 1}r\x1b[${row};${col}H`;
}

/** xterm 6 keeps the region on its internal active buffer only; the screen tests pin these names. */
function scrollRegion(terminal: Terminal): { top: number; bottom: number } | undefined {
  const buffer = (terminal as unknown as { _core?: { buffer?: { scrollTop?: unknown; scrollBottom?: unknown } } })._core?.buffer;
  const top = buffer?.scrollTop;
  const bottom = buffer?.scrollBottom;
  return typeof top === "number" && typeof bottom === "number" ? { top, bottom } : undefined;
}
