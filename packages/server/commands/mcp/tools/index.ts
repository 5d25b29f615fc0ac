import type { AnyTool } from "../tool.ts";
import { execCommand } from "./exec-command.ts";
import { killSession } from "./kill-session.ts";
import { listDirectory } from "./list-directory.ts";
import { listSessions } from "./list-sessions.ts";
import { readFile } from "./read-file.ts";
import { readTerminal } from "./read-terminal.ts";
import { writeFile } from "./write-file.ts";
import { writeStdin } from "./write-stdin.ts";

/** Every tool `exec-server mcp` offers. A new tool is a file here and one entry in this list. */
export const TOOLS: readonly AnyTool[] = [
  execCommand,
  writeStdin,
  readTerminal,
  killSession,
  listSessions,
  readFile,
  writeFile,
  listDirectory,
];
