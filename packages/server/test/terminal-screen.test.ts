import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TerminalScreen, type ScreenSnapshot } from "../src/process/screen/terminal-screen.ts";

const COLS = 80;
const ROWS = 24;
const SOCKET = `terminal-screen-test-${process.pid}`;
const SCREEN_MODULE = join(import.meta.dir, "..", "src", "process", "screen", "terminal-screen.ts");

let home: string;
let tmuxConf: string;
let env: Record<string, string>;
let tmuxEnv: Record<string, string>;

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), "terminal-screen-"));
  tmuxConf = join(home, "tmux.conf");
  // Same $TERM on both sides (programs emit the same bytes), and no status row.
  // exit-empty off: a server exiting after one test's last kill-session must not meet the next new-session.
  writeFileSync(tmuxConf, "set -g default-terminal xterm-256color\nset -g status off\nset -g exit-empty off\n");
  env = { PATH: "/usr/bin:/bin", TERM: "xterm-256color", HOME: home, LANG: "C.UTF-8" };
  // tmux leaves its socket file behind: keep it in the directory removed below.
  tmuxEnv = { ...env, TMUX_TMPDIR: home };
});

afterAll(() => {
  Bun.spawnSync(["tmux", "-L", SOCKET, "kill-server"], { env: tmuxEnv, stdout: "ignore", stderr: "ignore" });
  rmSync(home, { recursive: true, force: true });
});

/** Trailing spaces per line and trailing empty lines go: both renderers differ only there. */
function normalize(lines: readonly string[]): string[] {
  const out = lines.map((line) => line.replace(/ +$/, ""));
  while (out.length > 0 && out[out.length - 1] === "") out.pop();
  return out;
}

async function eventually<T>(read: () => T | Promise<T>, done: (value: T) => boolean, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await Bun.sleep(50);
    value = await read();
  }
  return value;
}

// --- the reference: tmux ---------------------------------------------------

function tmux(...args: string[]): string {
  const result = Bun.spawnSync(["tmux", "-u", "-L", SOCKET, "-f", tmuxConf, ...args], { env: tmuxEnv, cwd: home });
  if (result.exitCode !== 0) throw new Error(`tmux ${args[0]} failed: ${result.stderr.toString()}`);
  return result.stdout.toString();
}

interface ReferenceScreen {
  readonly lines: string[];
  readonly cursor: { x: number; y: number };
  readonly altScreen: boolean;
}

function tmuxStart(name: string, command: string): void {
  const size = ["-x", String(COLS), "-y", String(ROWS)];
  tmux("new-session", "-d", "-s", name, ...size, "-c", home, "bash", "--noprofile", "--norc", "-c", `${command}; sleep 30`);
}

function tmuxScreen(name: string): ReferenceScreen {
  const lines = normalize(tmux("capture-pane", "-p", "-t", name).split("\n"));
  const [x, y, alt] = tmux("display-message", "-p", "-t", name, "#{cursor_x} #{cursor_y} #{alternate_on}").trim().split(" ");
  // tmux puts a cursor with a wrap pending one past the last column; snapshots keep it inside.
  return { lines, cursor: { x: Math.min(Number(x), COLS - 1), y: Number(y) }, altScreen: alt === "1" };
}

function tmuxKill(name: string): void {
  Bun.spawnSync(["tmux", "-L", SOCKET, "kill-session", "-t", name], { env: tmuxEnv, stdout: "ignore", stderr: "ignore" });
}

// --- the subject: a real PTY feeding a TerminalScreen ------------------------

interface PtyRun {
  readonly proc: Bun.Subprocess;
  readonly screen: TerminalScreen;
  /** Resolves when the terminal reports end of output. */
  readonly outputEnded: Promise<void>;
  seq(): number;
  dispose(): void;
}

function startPty(command: string): PtyRun {
  let seq = 0;
  let ended!: () => void;
  const outputEnded = new Promise<void>((resolve) => (ended = resolve));
  const screen = new TerminalScreen({
    cols: COLS,
    rows: ROWS,
    scrollbackLines: 1000,
    onReply: (bytes) => proc.terminal?.write(bytes),
  });
  const proc = Bun.spawn(["bash", "--noprofile", "--norc", "-c", command], {
    env,
    cwd: home,
    terminal: { cols: COLS, rows: ROWS, data: (_terminal, data) => screen.write(data, ++seq), exit: () => ended() },
  });
  return {
    proc,
    screen,
    outputEnded,
    seq: () => seq,
    dispose() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
      if (!proc.terminal?.closed) proc.terminal?.close();
      screen.dispose();
    },
  };
}

function asReference(snapshot: ScreenSnapshot): ReferenceScreen {
  return { lines: normalize(snapshot.lines), cursor: snapshot.cursor, altScreen: snapshot.altScreen };
}

/** Runs `command` to completion in a PTY and in tmux, then compares the screens. */
async function compareFinished(name: string, command: string, mustShow: string): Promise<ScreenSnapshot> {
  const pty = startPty(command);
  tmuxStart(name, command);
  try {
    await pty.outputEnded;
    await pty.proc.exited;
    const snapshot = await pty.screen.snapshot();
    expect(snapshot.seq).toBe(pty.seq());
    const ours = asReference(snapshot);
    expect(ours.lines.join("\n")).toContain(mustShow);
    const theirs = await eventually(() => tmuxScreen(name), (s) => Bun.deepEquals(s, ours));
    expect(ours).toEqual(theirs);
    return snapshot;
  } finally {
    pty.dispose();
    tmuxKill(name);
  }
}

describe("TerminalScreen against tmux, real programs in real PTYs", () => {
  test("plain text that scrolls", async () => {
    await compareFinished("plain", "printf 'hello world\\nsecond line\\n'; seq 1 40", "40");
  });

  test("colored output", async () => {
    const sgr =
      "printf '\\e[31mred\\e[0m \\e[1;32mbold green\\e[0m \\e[44mblue bg\\e[0m\\n" +
      "\\e[38;5;208morange\\e[0m \\e[38;2;10;20;30mtruecolor\\e[0m \\e[7minverse\\e[27m done\\n'";
    const snapshot = await compareFinished("color", sgr, "bold green");
    expect(snapshot.lines[0]).toBe("red bold green blue bg");
  });

  test("cursor movement and clears", async () => {
    const command = "printf 'line one\\nline two\\n\\e[2J\\e[5;10Hhello\\e[10;1Hworld wide\\e[10;6H\\e[K\\e[12;20Hx\\e[1K\\e[7;1H'";
    const snapshot = await compareFinished("cursor", command, "hello");
    expect(snapshot.lines[4]).toBe("         hello");
    expect(snapshot.cursor).toEqual({ x: 0, y: 6 });
  });

  test("wide CJK characters, including one that does not fit at the end of a row", async () => {
    const command = "printf '你好，世界\\n日本語のテキスト\\n한국어 텍스트\\n'; printf 'x'; for i in $(seq 1 50); do printf '中'; done; printf '\\nend\\n'";
    const snapshot = await compareFinished("cjk", command, "你好，世界");
    expect(snapshot.lines[3]).toBe(`x${"中".repeat(39)}`);
    expect(snapshot.lines[4]).toBe("中".repeat(11));
  });

  test("a long line that wraps", async () => {
    const command = "for i in $(seq 1 120); do printf '%d,' $i; done; printf '\\nend\\n'";
    const snapshot = await compareFinished("wrap", command, "end");
    expect(snapshot.lines[0]).toHaveLength(COLS);
  });

  test("a line of exactly the width: cursor at the last column, then the next text on the next row", async () => {
    const pending = await compareFinished("exact", "printf 'top\\n%080d' 0", "0000");
    expect(pending.cursor).toEqual({ x: COLS - 1, y: 1 });
    await compareFinished("exact-next", "printf '%080d' 0; printf 'next'", "next");
  });

  test("the alternate screen: less while open, then the normal screen after q", async () => {
    const file = join(home, "numbers.txt");
    writeFileSync(file, Array.from({ length: 100 }, (_, i) => `line ${i + 1} ${"·".repeat(i % 30)}`).join("\n") + "\n");
    const command = `printf 'before less\\n'; less ${file}; printf 'after less\\n'`;
    const pty = startPty(command);
    tmuxStart("less", command);
    try {
      const open = await eventually(
        () => pty.screen.snapshot(),
        (s) => s.altScreen && s.lines[0] === "line 1" && (s.lines[ROWS - 1] ?? "").length > 0,
      );
      const theirsOpen = await eventually(() => tmuxScreen("less"), (s) => Bun.deepEquals(s, asReference(open)));
      expect(open.altScreen).toBe(true);
      expect(asReference(open)).toEqual(theirsOpen);

      pty.proc.terminal!.write("q");
      tmux("send-keys", "-t", "less", "q");
      await pty.outputEnded;
      const closed = await pty.screen.snapshot();
      expect(closed.altScreen).toBe(false);
      expect(normalize(closed.lines)).toEqual(["before less", "after less"]);
      const theirsClosed = await eventually(() => tmuxScreen("less"), (s) => Bun.deepEquals(s, asReference(closed)));
      expect(asReference(closed)).toEqual(theirsClosed);
    } finally {
      pty.dispose();
      tmuxKill("less");
    }
  });
});

describe("terminal queries", () => {
  test("a cursor position report goes to onReply", async () => {
    const replies: string[] = [];
    const screen = new TerminalScreen({ cols: COLS, rows: ROWS, scrollbackLines: 0, onReply: (b) => replies.push(new TextDecoder().decode(b)) });
    try {
      screen.write(new TextEncoder().encode("ab\r\ncde\x1b[6n"), 1);
      await screen.snapshot();
      expect(replies).toEqual(["\x1b[2;4R"]);
    } finally {
      screen.dispose();
    }
  });

  test("a program that asks for the cursor position gets its answer through the PTY", async () => {
    const command = "printf 'abc\\e[6n'; IFS= read -rs -t 10 -d R reply; printf '\\ngot %q\\n' \"$reply\"";
    const pty = startPty(command);
    try {
      const exitCode = await pty.proc.exited;
      await pty.outputEnded;
      expect(exitCode).toBe(0);
      const snapshot = await pty.screen.snapshot();
      expect(normalize(snapshot.lines)).toEqual(["abc", "got $'\\E[1;4'"]);
    } finally {
      pty.dispose();
    }
  });
});

describe("ordering and seq", () => {
  const encode = (text: string) => new TextEncoder().encode(text);

  test("a snapshot reflects exactly the writes before it; resize applies in order", async () => {
    const screen = new TerminalScreen({ cols: 20, rows: 5, scrollbackLines: 10 });
    try {
      const empty = await screen.snapshot();
      expect(empty).toEqual({ cols: 20, rows: 5, cursor: { x: 0, y: 0 }, altScreen: false, lines: ["", "", "", "", ""], seq: 0, droppedBytes: 0 });
      screen.write(encode("0123456789abcdefghijKLM\r\n"), 1);
      const first = screen.snapshot({ scrollback: 5 });
      screen.resize(10, 5);
      screen.write(encode("next"), 2);
      const second = screen.snapshot();
      screen.write(new Uint8Array(0), 3);
      const third = screen.snapshot();
      expect(await first).toMatchObject({ cols: 20, lines: ["0123456789abcdefghij", "KLM", "", "", ""], scrollback: [], seq: 1 });
      // Reflowed to 10 columns before "next" was written.
      expect(await second).toMatchObject({ cols: 10, lines: ["0123456789", "abcdefghij", "KLM", "next", ""], seq: 2 });
      expect((await third).seq).toBe(3);
    } finally {
      screen.dispose();
    }
  });

  test("scrollback lists the rows above the viewport, oldest first", async () => {
    const screen = new TerminalScreen({ cols: 20, rows: 3, scrollbackLines: 100 });
    try {
      screen.write(encode(Array.from({ length: 10 }, (_, i) => `row ${i}`).join("\r\n")), 1);
      const snapshot = await screen.snapshot({ scrollback: 4 });
      expect(snapshot.scrollback).toEqual(["row 3", "row 4", "row 5", "row 6"]);
      expect(snapshot.lines).toEqual(["row 7", "row 8", "row 9"]);
    } finally {
      screen.dispose();
    }
  });

  test("pending snapshots are rejected on dispose", async () => {
    const screen = new TerminalScreen({ cols: 20, rows: 3, scrollbackLines: 0 });
    screen.write(encode("x".repeat(3 << 20)), 1);
    screen.write(encode("y".repeat(3 << 20)), 2);
    const pending = screen.snapshot();
    screen.dispose();
    await expect(pending).rejects.toThrow("disposed");
    await expect(screen.snapshot()).rejects.toThrow("disposed");
  });

  test("serialized at seq k plus chunks k+1..N renders like all N chunks", async () => {
    const chunks = tieChunks();
    const cols = 40;
    const rows = 10;
    const full = new TerminalScreen({ cols, rows, scrollbackLines: 200 });
    const fullScreens: ScreenSnapshot[] = [];
    try {
      for (let k = 1; k <= chunks.length; k++) {
        full.write(encode(chunks[k - 1]!), k);
        fullScreens.push(await full.snapshot({ serialize: true, scrollback: 200 }));
      }
      expect(fullScreens[fullScreens.length - 1]!.seq).toBe(chunks.length);
      for (let k = 1; k < chunks.length; k++) {
        const atK = fullScreens[k - 1]!;
        expect(atK.seq).toBe(k);
        const replay = new TerminalScreen({ cols, rows, scrollbackLines: 200 });
        try {
          replay.write(encode(atK.serialized!), 0);
          // Every later screen must match, not only the last: the alt screen hides earlier differences.
          for (let j = k + 1; j <= chunks.length; j++) {
            replay.write(encode(chunks[j - 1]!), j);
            const replayed = await replay.snapshot({ scrollback: 200 });
            const expected = fullScreens[j - 1]!;
            const label = `resumed after chunk ${k}, at chunk ${j}`;
            expect({ label, seq: replayed.seq, lines: replayed.lines, cursor: replayed.cursor, alt: replayed.altScreen, scrollback: replayed.scrollback }).toEqual({
              label,
              seq: j,
              lines: expected.lines,
              cursor: expected.cursor,
              alt: expected.altScreen,
              scrollback: expected.scrollback,
            });
          }
        } finally {
          replay.dispose();
        }
      }
    } finally {
      full.dispose();
    }
  });
});

/**
 * Output of a session in whole escape sequences: scrolling, color, CJK, wraps,
 * the alt screen, a scroll region and origin mode left on across chunks.
 */
function tieChunks(): string[] {
  return [
    "$ ls\r\n",
    "\x1b[01;34mdir\x1b[0m  \x1b[01;32mrun.sh\x1b[0m  notes.txt\r\n",
    ...Array.from({ length: 12 }, (_, i) => `output line ${i} ${"中文".repeat(i % 4)}\r\n`),
    "a long line that wraps past forty columns and keeps going on\r\n",
    "\x1b[?1049h\x1b[H\x1b[2J",
    "\x1b[1;1H\x1b[7m top bar \x1b[27m\x1b[3;5Hinside the alt screen",
    "\x1b[10;1Hstatus\x1b[2;9r",
    "\x1b[9;1Hscrolls\n\n",
    "\x1b[?6h\x1b[1;3Hregion top",
    "\n".repeat(9),
    "\x1b[?6l\x1b[r\x1b[5;1Hwhole screen again",
    "\x1b[?1049l",
    "$ printf x\r\nx",
    "\r\n" + "=".repeat(40),
    "after a pending wrap\r\n",
    "\x1b[31mred\x1b[0m and back\r\n$ ",
  ];
}

describe("bounded input", () => {
  test("60 MB written at once all reach the screen, none discarded by xterm", async () => {
    const screen = new TerminalScreen({ cols: COLS, rows: ROWS, scrollbackLines: 0, maxQueuedBytes: 64 << 20 });
    try {
      const block = new TextEncoder().encode("0123456789".repeat(7) + "abcdefgh\r\n").subarray(0);
      const piece = new Uint8Array(block.byteLength * 6_000);
      for (let i = 0; i < 6_000; i++) piece.set(block, i * block.byteLength);
      let seq = 0;
      for (let written = 0; written < 60e6; written += piece.byteLength) screen.write(piece, ++seq);
      screen.write(new TextEncoder().encode("the end"), ++seq);
      const snapshot = await screen.snapshot();
      expect(snapshot.seq).toBe(seq);
      expect(snapshot.droppedBytes).toBe(0);
      expect(snapshot.lines[ROWS - 1]).toBe("the end");
      expect(snapshot.lines[ROWS - 2]).toBe("0123456789".repeat(7) + "abcdefgh");
    } finally {
      screen.dispose();
    }
  });

  test("past maxQueuedBytes the oldest bytes are dropped, the screen reset, and the newest shown", async () => {
    const screen = new TerminalScreen({ cols: COLS, rows: ROWS, scrollbackLines: 0, maxQueuedBytes: 2 << 20 });
    try {
      const filler = new TextEncoder().encode("x".repeat(1 << 20));
      let seq = 0;
      screen.write(new TextEncoder().encode("\x1b[?1049hin the alt screen"), ++seq);
      for (let i = 0; i < 20; i++) screen.write(filler, ++seq);
      const during = screen.snapshot();
      screen.write(new TextEncoder().encode("\x1b[2J\x1b[Hfresh"), ++seq);
      const after = await screen.snapshot();
      expect((await during).seq).toBe(seq - 1);
      expect(after.seq).toBe(seq);
      expect(after.droppedBytes).toBeGreaterThan(10 << 20);
      expect(after.droppedBytes % (1 << 20)).toBe(0);
      expect(after.altScreen).toBe(false);
      expect(after.lines[0]).toBe("fresh");
    } finally {
      screen.dispose();
    }
  });
});

describe("memory", () => {
  test("RSS per screen, 80x24 with 1000 rows of scrollback, each fed a bash prompt", async () => {
    // A fresh process, so the numbers are not mixed with this test run's heap.
    const script = join(home, "measure.ts");
    writeFileSync(
      script,
      `import { TerminalScreen } from ${JSON.stringify(SCREEN_MODULE)};
const prompt = new TextEncoder().encode(process.argv[2]);
const count = 200;
const rss = () => { Bun.gc(true); return process.memoryUsage().rss; };
new TerminalScreen({ cols: 80, rows: 24, scrollbackLines: 1000 }).write(prompt, 1); // load the modules
await Bun.sleep(50);
const base = rss();
const idle = Array.from({ length: count }, () => new TerminalScreen({ cols: 80, rows: 24, scrollbackLines: 1000 }));
await Promise.all(idle.map((s) => s.snapshot()));
const unwritten = rss();
idle.forEach((s, i) => s.write(prompt, i));
const shown = await Promise.all(idle.map((s) => s.snapshot()));
const fed = rss();
console.log(JSON.stringify({ unwrittenKB: (unwritten - base) / count / 1024, fedKB: (fed - base) / count / 1024, line: shown[count - 1].lines[0], alive: idle.length }));
`,
    );
    const prompt = await realPrompt();
    expect(prompt).toContain("user@host");
    const run = Bun.spawnSync(["bun", script, prompt], { env: { ...env, PATH: process.env.PATH ?? env.PATH! } });
    expect(run.stderr.toString()).toBe("");
    const result = JSON.parse(run.stdout.toString()) as { unwrittenKB: number; fedKB: number; line: string };
    console.log(`TerminalScreen RSS per instance: ${result.unwrittenKB.toFixed(1)} KB before output, ${result.fedKB.toFixed(1)} KB after a prompt`);
    expect(result.line).toBe("user@host:~$");
    expect(result.unwrittenKB).toBeLessThan(64);
    expect(result.fedKB).toBeLessThan(1024);
  });
});

/** What an interactive bash prints before its first command: bracketed paste, title, colored prompt. */
async function realPrompt(): Promise<string> {
  const ps1 = "\\[\\e]0;\\u@\\h: \\w\\a\\]\\[\\e[01;32m\\]user@host\\[\\e[00m\\]:\\[\\e[01;34m\\]\\w\\[\\e[00m\\]$ ";
  let text = "";
  const decoder = new TextDecoder();
  const proc = Bun.spawn(["bash", "--noprofile", "--norc", "-i"], {
    env: { ...env, PS1: ps1 },
    cwd: home,
    terminal: { cols: COLS, rows: ROWS, data: (_terminal, data) => (text += decoder.decode(data, { stream: true })) },
  });
  try {
    await eventually(() => text, (t) => t.includes("$ "));
    return text;
  } finally {
    proc.terminal?.close();
    await proc.exited;
  }
}
