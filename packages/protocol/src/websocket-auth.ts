import { encodeBase64 } from "#base64";

/**
 * Browsers cannot set headers on a websocket upgrade, so the credential rides
 * in `Sec-WebSocket-Protocol` (which is not logged in URLs or history): the
 * client offers WEBSOCKET_SUBPROTOCOL plus one credential value, and the
 * server answers with WEBSOCKET_SUBPROTOCOL.
 */
export const WEBSOCKET_SUBPROTOCOL = "exec-server.v0";
/** Followed by a one-time ticket from `POST /ticket`. */
export const TICKET_SUBPROTOCOL_PREFIX = "exec-server.ticket.";
/** Followed by the token as unpadded base64url of its UTF-8 (subprotocol values allow no `/`, `+`, `=`). */
export const BEARER_SUBPROTOCOL_PREFIX = "exec-server.bearer.";

export function bearerSubprotocol(token: string): string {
  const base64 = encodeBase64(new TextEncoder().encode(token));
  return BEARER_SUBPROTOCOL_PREFIX + base64.replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}
