import { createHash, timingSafeEqual } from "node:crypto";

/** Who may open a websocket: browsers only from allowed origins, everyone with the token if one is set. */
export interface AccessPolicy {
  readonly token?: string;
  readonly allowedOrigins: readonly string[];
}

export interface Refusal {
  readonly status: 401 | 403;
  readonly reason: string;
}

/**
 * A websocket that runs commands is remote code execution for any web page the
 * user opens, so a request carrying `Origin` (browsers always send it) is
 * refused unless that origin was allowed.
 */
export function checkUpgradeRequest(request: Request, policy: AccessPolicy): Refusal | undefined {
  const origin = request.headers.get("origin");
  if (origin !== null && !policy.allowedOrigins.includes(origin)) {
    return { status: 403, reason: `origin ${origin} is not allowed (see --allow-origin)` };
  }
  if (policy.token !== undefined) {
    const header = request.headers.get("authorization") ?? "";
    const presented = header.startsWith("Bearer ") ? header.slice("Bearer ".length) : "";
    if (!tokensEqual(presented, policy.token)) {
      return { status: 401, reason: "missing or wrong bearer token" };
    }
  }
  return undefined;
}

/** Constant-time comparison; hashing first makes the time independent of length too. */
export function tokensEqual(presented: string, expected: string): boolean {
  const digest = (value: string) => createHash("sha256").update(value).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}
