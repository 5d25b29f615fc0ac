import { connectArgs } from "../command-options.ts";
import { ExecServerClient } from "@x/exec-client";
import { createInProcessTransport } from "../../src/transport/in-process.ts";

/** Where the MCP server's processes run: in this process, or on a daemon reached by websocket (TCP or unix socket). */
export interface ExecTarget {
  /** `ws://IP:PORT` or `unix:///path.sock` of a running `exec-server --listen`; absent: an in-process server. */
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
  // As `run` and `attach` take them: the same URL forms and token sources.
  const server = connectArgs({ token: target.token, "token-file": target.tokenFile }, target.connect, env);
  return ExecServerClient.connectWebSocket({ ...server, clientName: CLIENT_NAME });
}
