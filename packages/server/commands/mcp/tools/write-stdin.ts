import { z } from "zod";
import { ExecResultShape, execReply, MaxOutputTokens, maxOutputBytes, yieldTimeMs } from "../exec-result.ts";
import { defineTool, ToolFailure } from "../tool.ts";

export const DEFAULT_WRITE_YIELD_MS = 250;

export const writeStdin = defineTool({
  name: "write_stdin",
  title: "Write to a running command",
  description:
    "Writes `chars` to a session's stdin (empty to just poll; on a terminal, \\u0003 is Ctrl-C) and waits " +
    "`yield_time_ms` for output. Returns all output since the previous exec_command or write_stdin call " +
    "of this session, and the exit code once it exited. Nothing is skipped between calls unless more " +
    "output came than the server retains (its --retained-output-bytes): then skipped_chunks says so.",
  input: {
    session_id: z.number().int().describe("From exec_command"),
    chars: z.string().optional().describe("Text to write; empty or absent to only read"),
    yield_time_ms: yieldTimeMs(`Wait this long for output (default ${DEFAULT_WRITE_YIELD_MS}); returns early if the process exits`),
    max_output_tokens: MaxOutputTokens,
  },
  output: ExecResultShape,
  async run(args, { sessions }) {
    const session = sessions.get(args.session_id);
    return sessions.exclusive(session, async () => {
      const started = performance.now();
      const exit = session.process.exitStatus;
      const chars = args.chars ?? "";
      if (chars !== "" && exit !== undefined) {
        throw new ToolFailure(
          `session ${session.id} has exited (exit code ${exit.exitCode}); nothing was written. ` +
            "Call write_stdin with empty chars to read its remaining output.",
        );
      }
      if (chars !== "" && !session.tty) {
        // Pipe sessions start with stdin closed; only a terminal takes input.
        throw new ToolFailure(`session ${session.id} was started without tty, so it has no stdin; start it with tty: true`);
      }
      const window = await session.process.exec({
        ...(chars !== "" ? { input: chars } : {}),
        yieldTimeMs: args.yield_time_ms ?? DEFAULT_WRITE_YIELD_MS,
        maxOutputBytes: maxOutputBytes(args.max_output_tokens),
      });
      return execReply(window, session, started);
    });
  },
});
