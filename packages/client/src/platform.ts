// What the client takes from its runtime (Bun or Node). The browser build
// resolves `#platform` to platform.browser.ts instead (package.json "imports").
import { TICKET_SUBPROTOCOL_PREFIX, WEBSOCKET_SUBPROTOCOL } from "@x/exec-protocol";
import { currentEnv } from "./env.ts";

import type { SocketCredentials } from "./socket-credentials.ts";

export type { SocketCredentials } from "./socket-credentials.ts";

/** Bun's WebSocket takes headers: the token goes as `Authorization: Bearer`. */
export async function createSocket(url: string, credentials: SocketCredentials): Promise<WebSocket> {
  const { token } = credentials;
  if (credentials.ticket !== undefined && token === undefined) {
    const ticket = await credentials.ticket();
    return new WebSocket(url, { protocols: [WEBSOCKET_SUBPROTOCOL, TICKET_SUBPROTOCOL_PREFIX + ticket] });
  }
  return new WebSocket(url, token === undefined ? {} : { headers: { Authorization: `Bearer ${token}` } });
}

export function defaultCwd(): string {
  return process.cwd();
}

export function defaultEnv(): Record<string, string> {
  return currentEnv();
}
