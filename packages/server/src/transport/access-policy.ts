import { createHash, timingSafeEqual } from "node:crypto";
import { BEARER_SUBPROTOCOL_PREFIX, TICKET_SUBPROTOCOL_PREFIX, WEBSOCKET_SUBPROTOCOL } from "@x/exec-protocol";
import { isOwnOrigin } from "../web/own-origin.ts";
import type { TicketStore } from "../web/ticket-store.ts";

/** Who may open a websocket: browsers only from allowed origins, everyone with the token if one is set. */
export interface AccessPolicy {
  readonly token?: string;
  readonly allowedOrigins: readonly string[];
  /**
   * `--web`: the served page's own origin is allowed too (see own-origin.ts),
   * and tickets from `POST /ticket` stand in for the token on upgrades.
   */
  readonly web?: { readonly tickets: TicketStore };
}

export interface Refusal {
  readonly status: 401 | 403;
  readonly reason: string;
}

/**
 * A websocket that runs commands is remote code execution for any web page the
 * user opens, so a request carrying `Origin` (browsers always send it) is
 * refused unless that origin was allowed. The token may come as
 * `Authorization: Bearer`, or, from a browser, as a subprotocol value: the
 * token itself (`exec-server.bearer.<base64url>`) or a one-time ticket
 * (`exec-server.ticket.<ticket>`, with `--web`).
 */
export function checkUpgradeRequest(request: Request, policy: AccessPolicy): Refusal | undefined {
  return checkOrigin(request, policy) ?? checkCredential(request, policy, true);
}

/** `POST /ticket` and the page's config: same origin rule, the token only in the header. */
export function checkHttpRequest(request: Request, policy: AccessPolicy): Refusal | undefined {
  return checkOrigin(request, policy) ?? checkCredential(request, policy, false);
}

/**
 * The subprotocol to answer with: ours when offered, else none. Never another
 * offered value: that may be the token or a ticket, and the answer header would
 * echo it (a browser that offers only credentials then fails the handshake,
 * which is what it should do: it must offer exec-server.v0 too).
 */
export function chooseSubprotocol(request: Request): string | undefined {
  return offeredSubprotocols(request).includes(WEBSOCKET_SUBPROTOCOL) ? WEBSOCKET_SUBPROTOCOL : undefined;
}

function checkOrigin(request: Request, policy: AccessPolicy): Refusal | undefined {
  const origin = request.headers.get("origin");
  if (origin === null || policy.allowedOrigins.includes(origin)) return undefined;
  if (policy.web && isOwnOrigin(request)) return undefined;
  return { status: 403, reason: `origin ${origin} is not allowed (see --allow-origin)` };
}

function checkCredential(request: Request, policy: AccessPolicy, upgrade: boolean): Refusal | undefined {
  if (policy.token === undefined) return undefined;
  const header = request.headers.get("authorization") ?? "";
  if (header.startsWith("Bearer ") && tokensEqual(header.slice("Bearer ".length), policy.token)) return undefined;
  if (upgrade) {
    for (const value of offeredSubprotocols(request)) {
      if (value.startsWith(BEARER_SUBPROTOCOL_PREFIX)) {
        const presented = Buffer.from(value.slice(BEARER_SUBPROTOCOL_PREFIX.length), "base64url").toString("utf8");
        if (tokensEqual(presented, policy.token)) return undefined;
      }
      if (value.startsWith(TICKET_SUBPROTOCOL_PREFIX) && policy.web?.tickets.redeem(value.slice(TICKET_SUBPROTOCOL_PREFIX.length))) {
        return undefined;
      }
    }
  }
  return { status: 401, reason: upgrade ? "missing or wrong bearer token or ticket" : "missing or wrong bearer token" };
}

function offeredSubprotocols(request: Request): string[] {
  const header = request.headers.get("sec-websocket-protocol");
  if (header === null) return [];
  return header
    .split(",")
    .map((value) => value.trim())
    .filter((value) => value !== "");
}

/** Constant-time comparison; hashing first makes the time independent of length too. */
export function tokensEqual(presented: string, expected: string): boolean {
  const digest = (value: string) => createHash("sha256").update(value).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}
