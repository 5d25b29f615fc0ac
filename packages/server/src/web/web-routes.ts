import { checkHttpRequest, type AccessPolicy } from "../transport/access-policy.ts";
import type { PageBundle } from "./page-bundle.ts";
import type { PageConfig } from "./page-config.ts";
import { TICKET_TTL_MS } from "./ticket-store.ts";
import type { WebCommand } from "./web-command.ts";

export interface WebPage {
  readonly bundle: PageBundle;
  readonly command: WebCommand;
}

// typebox compiles validators with `new Function` ('unsafe-eval'); xterm's DOM
// renderer sets style attributes ('unsafe-inline' styles). Never framed: a
// terminal is a target for clickjacking.
const CSP =
  "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; " +
  "connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>exec-server</title>
<link rel="stylesheet" href="/web/app.css">
</head>
<body>
<header id="bar"><span id="title">exec-server</span><span id="state" data-state="connecting">connecting</span></header>
<form id="login" hidden><label>Token <input id="token" type="password" autocomplete="off"></label><button>Connect</button></form>
<main id="terminal"></main>
<script type="module" src="/web/app.js"></script>
</body>
</html>
`;

const PAGE_STYLE = `
html, body { margin: 0; height: 100%; background: #101010; color: #ddd; font: 13px system-ui, sans-serif; }
body { display: flex; flex-direction: column; }
#bar { display: flex; justify-content: space-between; padding: 4px 8px; background: #202020; }
#state[data-state="open"] { color: #6c6; } #state[data-state="reconnecting"] { color: #fc6; }
#state[data-state="closed"], #state[data-state="exited"], #state[data-state="error"] { color: #f66; }
#login { padding: 16px; } #terminal { flex: 1; min-height: 0; padding: 4px; }
`;

/**
 * The `--web` routes: the page (`/`), its bundle, `GET /web/config` (what the
 * page starts) and `POST /ticket`. Undefined for any other path.
 */
export function handleWebRequest(
  request: Request,
  page: WebPage,
  policy: AccessPolicy,
): Response | undefined {
  // A request without a Host header has a bare path as its url (see websocket.ts).
  const { pathname } = new URL(request.url, "http://host.invalid");
  const method = request.method;
  if (method === "GET" && pathname === "/") return asset(HTML, "text/html; charset=utf-8");
  if (method === "GET" && pathname === "/web/app.js") return asset(page.bundle.js, "text/javascript; charset=utf-8");
  if (method === "GET" && pathname === "/web/app.css") return asset(page.bundle.css + PAGE_STYLE, "text/css; charset=utf-8");
  if (pathname === "/web/config" && method === "GET") {
    return authorized(request, policy, () =>
      Response.json({ command: page.command, tokenRequired: policy.token !== undefined } satisfies PageConfig, {
        headers: NO_STORE,
      }),
    );
  }
  if (pathname === "/ticket" && method === "POST") {
    return authorized(request, policy, () => {
      const ticket = policy.web?.tickets.issue();
      if (ticket === undefined) return new Response("too many outstanding tickets\n", { status: 429 });
      return Response.json({ ticket, expiresInMs: TICKET_TTL_MS }, { headers: NO_STORE });
    });
  }
  return undefined;
}

const NO_STORE = { "cache-control": "no-store" };

function asset(body: string, type: string): Response {
  return new Response(body, {
    headers: { "content-type": type, "content-security-policy": CSP, "x-content-type-options": "nosniff", ...NO_STORE },
  });
}

function authorized(request: Request, policy: AccessPolicy, answer: () => Response): Response {
  const refusal = checkHttpRequest(request, policy);
  if (refusal) return new Response(`${refusal.reason}\n`, { status: refusal.status });
  return answer();
}
