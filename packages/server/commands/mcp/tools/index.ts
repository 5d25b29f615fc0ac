import type { AnyTool } from "../tool.ts";
import { execCommand } from "./exec-command.ts";
import { killSession } from "./kill-session.ts";
import { listSessions } from "./list-sessions.ts";
import { readTerminal } from "./read-terminal.ts";
import { writeStdin } from "./write-stdin.ts";

/** Every tool `exec-server mcp` offers. A new tool is a file here and one entry in this list. */
export const TOOLS: readonly AnyTool[] = [execCommand, writeStdin, readTerminal, killSession, listSessions];
