import { isIP } from "node:net";

/**
 * With `--web`, the page we serve may open websockets: its Origin is our own
 * address. Matching Origin against the Host header alone would let a DNS
 * rebinding page (evil.example resolving to us) pass, so the host must be an
 * IP literal or `localhost`, which no other site can be. (Another local site
 * on another port has another Origin than our Host: refused too.)
 */
export function isOwnOrigin(request: Request): boolean {
  const origin = request.headers.get("origin");
  const host = request.headers.get("host");
  if (origin === null || host === null) return false;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== "http:" || url.host !== host.toLowerCase()) return false;
  const hostname = url.hostname.replace(/^\[|\]$/g, "");
  return hostname === "localhost" || isIP(hostname) !== 0;
}
