import { z } from "zod";
import { defineTool, ToolFailure } from "../tool.ts";

export const readTerminal = defineTool({
  name: "read_terminal",
  title: "Read a terminal's screen",
  description:
    "Returns the rendered screen of a tty session as text (what a person would see, after escape " +
    "sequences and redraws), with the cursor position. Does not consume output: write_stdin still returns it.",
  input: {
    session_id: z.number().int().describe("From exec_command with tty: true"),
  },
  output: {
    session_id: z.number().int(),
    lines: z.array(z.string()).describe("The visible rows, top to bottom, trailing blanks trimmed"),
    cols: z.number().int(),
    rows: z.number().int(),
    cursor: z.object({ row: z.number().int(), col: z.number().int() }).describe("0-based, from the top left"),
    alt_screen: z.boolean().describe("Whether a full-screen program has switched to the alternate screen"),
    running: z.boolean(),
    exit_code: z.number().int().nullable(),
  },
  async run(args, { sessions }) {
    const session = sessions.get(args.session_id);
    const snapshot = await session.process.snapshot();
    const screen = snapshot.screen;
    if (!session.tty || screen === undefined) {
      throw new ToolFailure(`session ${session.id} has no terminal (it was started with tty: false); read its output with write_stdin`);
    }
    const structured = {
      session_id: session.id,
      lines: screen.lines,
      cols: screen.cols,
      rows: screen.rows,
      cursor: { row: screen.cursor.y, col: screen.cursor.x },
      alt_screen: screen.altScreen,
      running: snapshot.running,
      exit_code: snapshot.exitCode,
    };
    const state = snapshot.running ? "running" : `exited with code ${snapshot.exitCode}`;
    const header =
      `Terminal ${screen.cols}x${screen.rows}, cursor at row ${screen.cursor.y} col ${screen.cursor.x} (0-based), ` +
      `process ${state}${screen.altScreen ? ", alternate screen" : ""}`;
    return { text: `${header}\n${screen.lines.join("\n")}`, structured };
  },
});
