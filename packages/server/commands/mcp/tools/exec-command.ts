import { z } from "zod";
import { ExecResultShape, execReply, MaxOutputTokens, maxOutputBytes, yieldTimeMs } from "../exec-result.ts";
import { defineTool } from "../tool.ts";

export const DEFAULT_EXEC_YIELD_MS = 10_000;

/** The user's login shell runs the command, so PATH and aliases are what the user has. */
function shell(): string {
  return process.env.SHELL || "bash";
}

export const execCommand = defineTool({
  name: "exec_command",
  title: "Run a command",
  description:
    "Runs `cmd` with the user's shell (`$SHELL -lc cmd`, $SHELL as `exec-server mcp` sees it) and waits until it exits or `yield_time_ms` passes. " +
    "Returns the output so far, the exit code if it exited, and a session_id if it is still running " +
    "(continue with write_stdin, read_terminal, kill_session). `tty: true` runs it in a terminal (for " +
    "interactive programs).",
  input: {
    cmd: z.string().min(1).describe("Shell command line"),
    workdir: z
      .string()
      .optional()
      .describe("Working directory (default: the directory `exec-server mcp` was started in, also under --connect)"),
    tty: z.boolean().optional().describe("Run in a pseudo-terminal (default false: pipes)"),
    yield_time_ms: yieldTimeMs(`Wait at most this long for the command to finish (default ${DEFAULT_EXEC_YIELD_MS})`),
    max_output_tokens: MaxOutputTokens,
  },
  output: ExecResultShape,
  async run(args, { client, sessions }) {
    const started = performance.now();
    const workdir = args.workdir ?? process.cwd();
    const tty = args.tty ?? false;
    // A terminal needs a TERM; an agent's MCP host often runs us without one.
    const env = tty ? { ...stringEnv(), TERM: process.env.TERM || "xterm-256color" } : undefined;
    const window = await client.exec({
      argv: [shell(), "-lc", args.cmd],
      cwd: workdir,
      tty,
      ...(env ? { env } : {}),
      yieldTimeMs: args.yield_time_ms ?? DEFAULT_EXEC_YIELD_MS,
      maxOutputBytes: maxOutputBytes(args.max_output_tokens),
    });
    // A command that finished within the call needs no session.
    const session =
      window.exitCode === undefined ? sessions.add(window.process, { command: args.cmd, tty, workdir }) : undefined;
    return execReply(window, session, started);
  },
});

function stringEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => typeof entry[1] === "string"));
}
