import { parseArgs } from "node:util";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { VERSION } from "../../src/version.ts";
import { CONNECT_USAGE, TOKEN_OPTIONS } from "../command-options.ts";
import { openExecClient, type ExecTarget } from "./open-exec-client.ts";
import { SessionTable } from "./session-table.ts";
import { registerTools } from "./tool.ts";
import { TOOLS } from "./tools/index.ts";

export const MCP_USAGE = `Usage: exec-server mcp [--connect ws://IP:PORT | unix:///PATH] [--token TOKEN | --token-file PATH]

An MCP server over stdio whose tools run commands (exec_command, write_stdin,
read_terminal, kill_session, list_sessions) and handle files (read_file,
write_file, list_directory). Processes run and files are read in this process,
or on the exec-server daemon named by --connect. When the MCP client disconnects
(end of stdin), every session's process tree is killed.

Options:
  --connect URL        a daemon started with \`exec-server --listen ws://IP:PORT\`
                       (or \`--listen unix:///PATH\`)
${CONNECT_USAGE}
  --help               show this help
`;

/** `exec-server mcp`: returns the exit code once the MCP client has gone and the sessions are dead. */
export async function runMcp(argv: string[]): Promise<number> {
  let target: ExecTarget;
  try {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        connect: { type: "string" },
        ...TOKEN_OPTIONS,
        help: { type: "boolean", short: "h", default: false },
      },
    });
    if (values.help) {
      process.stdout.write(MCP_USAGE);
      return 0;
    }
    target = { connect: values.connect, token: values.token, tokenFile: values["token-file"] };
  } catch (error) {
    process.stderr.write(`exec-server mcp: ${(error as Error).message}\n\n${MCP_USAGE}`);
    return 2;
  }

  let client;
  try {
    client = await openExecClient(target);
  } catch (error) {
    process.stderr.write(`exec-server mcp: cannot reach the exec server: ${(error as Error).message}\n`);
    return 1;
  }
  const sessions = new SessionTable();
  const server = new McpServer({ name: "exec-server", version: VERSION });
  registerTools(server, TOOLS, { client, sessions });

  const gone = Promise.withResolvers<string>();
  // The SDK's stdio transport does not notice end of input: that is the client disconnecting.
  process.stdin.once("end", () => gone.resolve("the MCP client disconnected"));
  process.stdin.once("close", () => gone.resolve("the MCP client disconnected"));
  process.once("SIGTERM", () => gone.resolve("SIGTERM"));
  process.once("SIGINT", () => gone.resolve("SIGINT"));
  client.on("disconnect", () => gone.resolve("the exec server closed the connection"));
  await server.connect(new StdioServerTransport());

  const reason = await gone.promise;
  await sessions.killAll();
  await client.close();
  await server.close().catch(() => {});
  if (reason.startsWith("the exec server")) {
    process.stderr.write(`exec-server mcp: ${reason}\n`);
    return 1;
  }
  return 0;
}
