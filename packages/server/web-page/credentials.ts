// How the page proves itself: same origin always; with a server token, the
// user types it once per tab (kept in sessionStorage, gone with the tab), and
// every websocket gets a fresh one-time ticket fetched with it in a header.
// The token never goes into a URL.

import type { PageConfig } from "../src/web/page-config.ts";

const TOKEN_KEY = "exec-server.token";

export type { PageConfig } from "../src/web/page-config.ts";

function authHeaders(): Record<string, string> {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token === null ? {} : { authorization: `Bearer ${token}` };
}

/** `GET /web/config`, asking for the token (form) until the server takes it. */
export async function loadConfig(login: HTMLFormElement, input: HTMLInputElement): Promise<PageConfig> {
  for (;;) {
    const response = await fetch("/web/config", { headers: authHeaders(), cache: "no-store" });
    if (response.ok) return (await response.json()) as PageConfig;
    if (response.status !== 401) throw new Error(`GET /web/config: ${response.status} ${await response.text()}`);
    sessionStorage.removeItem(TOKEN_KEY);
    login.hidden = false;
    input.focus();
    const token = await new Promise<string>((resolve) => {
      login.onsubmit = (event) => {
        event.preventDefault();
        resolve(input.value);
      };
    });
    login.hidden = true;
    input.value = "";
    sessionStorage.setItem(TOKEN_KEY, token);
  }
}

/** One `POST /ticket`: a credential for exactly one websocket, valid for seconds. */
export async function fetchTicket(): Promise<string> {
  const response = await fetch("/ticket", { method: "POST", headers: authHeaders(), cache: "no-store" });
  if (!response.ok) throw new Error(`POST /ticket: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { ticket: string }).ticket;
}
