import { readFileSync } from "node:fs";
import { ExecServerClient } from "@x/exec-client";
import { createInProcessTransport } from "../../src/transport/in-process.ts";

/** Where the MCP server's processes run: in this process, or on a daemon reached by websocket. */
export interface ExecTarget {
  /** `ws://IP:PORT` of a running `exec-server --listen`; absent: an in-process server. */
  readonly connect?: string;
  readonly token?: string;
  readonly tokenFile?: string;
}

const CLIENT_NAME = "exec-server-mcp";

/**
 * The one place that knows how the MCP server gets its ExecServerClient.
 * The token comes from `--token`, else `--token-file`, else EXEC_SERVER_TOKEN.
 * Closing the client kills its processes either way: an in-process server
 * kills them itself, a daemon does when the connection ends.
 */
export async function openExecClient(target: ExecTarget, env: Record<string, string | undefined> = process.env): Promise<ExecServerClient> {
  // As in the daemon: every child of this process comes from its process manager, so it may reap orphans.
  if (target.connect === undefined) {
    const transport = createInProcessTransport({ config: { subreaper: true } });
    return ExecServerClient.connectTransport(transport, { clientName: CLIENT_NAME });
  }
  if (!/^wss?:\/\//.test(target.connect)) {
    throw new Error(`--connect must be a ws:// or wss:// URL; got ${JSON.stringify(target.connect)}`);
  }
  const token = target.token ?? (target.tokenFile !== undefined ? readFileSync(target.tokenFile, "utf8").trim() : env.EXEC_SERVER_TOKEN);
  if (token === "") throw new Error("the token must not be empty");
  return ExecServerClient.connectWebSocket({ url: target.connect, token, clientName: CLIENT_NAME });
}
