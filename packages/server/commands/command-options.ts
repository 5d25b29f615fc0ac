import { readToken } from "../src/cli/options.ts";

/** What `run` and `attach` share: the server URL and its token, as the server takes it. */
export interface ConnectArgs {
  readonly url: string;
  readonly token?: string;
}

export const TOKEN_OPTIONS = {
  token: { type: "string" },
  "token-file": { type: "string" },
} as const;

export const CONNECT_USAGE = `  --token TOKEN        the server's token (also EXEC_SERVER_TOKEN)
  --token-file PATH    read the token from a file`;

/** A daemon's websocket listener: TCP, or a unix socket (`--listen unix:///path.sock`). */
export const SERVER_URL = /^(wss?:\/\/.|unix:\/\/\/.)/;

export function connectArgs(
  values: { token?: string; "token-file"?: string },
  url: string | undefined,
  env: Record<string, string | undefined> = process.env,
): ConnectArgs {
  if (url === undefined || !SERVER_URL.test(url)) {
    throw new Error(`expected the server's ws://IP:PORT or unix:///PATH URL; got ${url === undefined ? "nothing" : JSON.stringify(url)}`);
  }
  return { url, token: readToken(values.token, values["token-file"], env.EXEC_SERVER_TOKEN) };
}
