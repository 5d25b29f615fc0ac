import { describe, expect, test } from "bun:test";
import { TerminalQueryScan } from "./terminal-query-scan.ts";
import { TerminalScreen } from "./terminal-screen.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("TerminalQueryScan", () => {
  test("finds the queries terminals answer, and not ordinary sequences", () => {
    for (const query of ["\x1b[c", "\x1b[>c", "\x1b[0c", "\x1b[6n", "\x1b[5n", "\x1b[?6n", "\x1b[18t", "\x1b[?2026$p", "\x1b[>q", "\x1bP$qm\x1b\\", "\x1b]11;?\x07", "\x1bZ"]) {
      expect(new TerminalQueryScan().push(bytes(`text ${query} more`))).toBe(true);
    }
    for (const ordinary of ["plain text", "\x1b[1;32mgreen\x1b[0m", "\x1b[?2004h$ ", "\x1b[2J\x1b[H", "\x1b]0;title\x07", "\x1b(B", "\x1b[K"]) {
      expect(new TerminalQueryScan().push(bytes(ordinary))).toBe(false);
    }
  });

  test("a query split across chunks is found when its end arrives", () => {
    const scan = new TerminalQueryScan();
    expect(scan.push(bytes("prompt\x1b"))).toBe(false);
    expect(scan.push(bytes("[6"))).toBe(false);
    expect(scan.push(bytes("n"))).toBe(true);
  });
});

describe("TerminalScreen while dormant", () => {
  test("a prompt does not start xterm; a snapshot does, and shows everything written before it", async () => {
    const replies: string[] = [];
    const screen = new TerminalScreen({ cols: 20, rows: 3, scrollbackLines: 0, onReply: (b) => replies.push(new TextDecoder().decode(b)) });
    try {
      screen.write(bytes("\x1b[1muser\x1b[0m$ "), 1);
      screen.resize(30, 3);
      screen.resize(40, 4);
      expect(screen.awake).toBe(false);
      const snapshot = await screen.snapshot();
      expect(screen.awake).toBe(true);
      expect(snapshot).toMatchObject({ cols: 40, rows: 4, seq: 1, lines: ["user$", "", "", ""] });
    } finally {
      screen.dispose();
    }
  });

  test("a query wakes it at once, and the answer is given", async () => {
    const replies: string[] = [];
    const screen = new TerminalScreen({ cols: 20, rows: 3, scrollbackLines: 0, onReply: (b) => replies.push(new TextDecoder().decode(b)) });
    try {
      screen.write(bytes("ab"), 1);
      expect(screen.awake).toBe(false);
      screen.write(bytes("\x1b[6n"), 2);
      expect(screen.awake).toBe(true);
      for (let i = 0; i < 100 && replies.length === 0; i++) await Bun.sleep(10);
      expect(replies).toEqual(["\x1b[1;3R"]);
    } finally {
      screen.dispose();
    }
  });

  test("past 256 KiB of output it starts parsing", () => {
    const screen = new TerminalScreen({ cols: 80, rows: 24, scrollbackLines: 0 });
    try {
      screen.write(new Uint8Array(200 * 1024).fill(0x61), 1);
      expect(screen.awake).toBe(false);
      screen.write(new Uint8Array(100 * 1024).fill(0x62), 2);
      expect(screen.awake).toBe(true);
    } finally {
      screen.dispose();
    }
  });
});
