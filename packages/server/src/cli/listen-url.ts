import { isIP } from "node:net";

export type ListenTarget =
  | { kind: "stdio" }
  | { kind: "websocket"; hostname: string; port: number }
  | { kind: "unix"; path: string };

export const DEFAULT_LISTEN_URL = "stdio://";

/**
 * Parses `--listen`: `stdio://`, `ws://IP:PORT` (an IP literal, not a host name)
 * or `unix:///absolute/path.sock` (websocket over a unix socket).
 */
export function parseListenUrl(url: string): ListenTarget {
  if (url === DEFAULT_LISTEN_URL) return { kind: "stdio" };
  if (url.startsWith("unix://")) {
    const path = url.slice("unix://".length);
    if (!path.startsWith("/") || path.length < 2) {
      throw new Error(`invalid unix --listen URL \`${url}\`; expected \`unix:///absolute/path.sock\``);
    }
    return { kind: "unix", path };
  }
  if (!url.startsWith("ws://")) {
    throw new Error(
      `unsupported --listen URL \`${url}\`; expected \`stdio://\`, \`ws://IP:PORT\` or \`unix:///path.sock\``,
    );
  }
  const invalid = () => new Error(`invalid websocket --listen URL \`${url}\`; expected \`ws://IP:PORT\``);
  const match = /^ws:\/\/(?:\[([^\]]+)\]|([^:/]+)):(\d{1,5})$/.exec(url);
  if (!match) throw invalid();
  const hostname = match[1] ?? match[2]!;
  const port = Number(match[3]);
  const family = isIP(hostname);
  if (family === 0 || (family === 6 && match[1] === undefined) || port > 65535) throw invalid();
  return { kind: "websocket", hostname, port };
}

/** 127.0.0.0/8 and ::1: addresses only this machine can reach. */
export function isLoopback(hostname: string): boolean {
  if (isIP(hostname) === 4) return hostname.startsWith("127.");
  return hostname === "::1" || hostname === "::ffff:127.0.0.1";
}
