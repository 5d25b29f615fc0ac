// The browser's side of platform.ts: no Bun or Node globals. Browsers cannot
// set upgrade headers, so credentials travel as subprotocol values.
import { bearerSubprotocol, TICKET_SUBPROTOCOL_PREFIX, WEBSOCKET_SUBPROTOCOL } from "@x/exec-protocol";
import type { SocketCredentials } from "./socket-credentials.ts";

export type { SocketCredentials } from "./socket-credentials.ts";

export async function createSocket(url: string, credentials: SocketCredentials): Promise<WebSocket> {
  const protocols = [WEBSOCKET_SUBPROTOCOL];
  if (credentials.ticket !== undefined) protocols.push(TICKET_SUBPROTOCOL_PREFIX + (await credentials.ticket()));
  else if (credentials.token !== undefined) protocols.push(bearerSubprotocol(credentials.token));
  const socket = new WebSocket(url, protocols);
  socket.binaryType = "arraybuffer";
  return socket;
}

export function defaultCwd(): string {
  throw new TypeError("pass `cwd` to start(): a browser has no working directory to default to");
}

export function defaultEnv(): Record<string, string> {
  throw new TypeError("pass `env` to start(): a browser has no environment to default to");
}
