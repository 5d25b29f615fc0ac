import { isAbsolute, normalize } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { RpcError } from "@x/exec-protocol";

/** A path from the wire, made absolute and normalized, remembering the form it came in. */
export interface WirePath {
  readonly path: string;
  /** The client sent a `file:` URI, so answers carry URIs too. */
  readonly uri: boolean;
}

/** `file:` URIs (upstream) and absolute paths (v0) are accepted; anything relative is -32602. */
export function parseWirePath(raw: string, what = "path"): WirePath {
  if (raw.includes("\0")) throw RpcError.invalidParams(`${what} must not contain NUL bytes`);
  if (/^file:/i.test(raw)) {
    let path: string;
    try {
      path = fileURLToPath(raw);
    } catch (error) {
      throw RpcError.invalidParams(`${what} ${JSON.stringify(raw)} is not a local file: URI (${(error as Error).message})`);
    }
    return { path: clean(path), uri: true };
  }
  if (!isAbsolute(raw)) {
    throw RpcError.invalidParams(`${what} must be an absolute path or a file: URI; got ${JSON.stringify(raw.slice(0, 200))}`);
  }
  return { path: clean(raw), uri: false };
}

/** Normalized, without a trailing slash: "/root/" and "/root" must be the same path to every check. */
function clean(path: string): string {
  const normal = normalize(path);
  return normal.length > 1 && normal.endsWith("/") ? normal.replace(/\/+$/, "") || "/" : normal;
}

/** A server-side path in the form the client used. */
export function toWirePath(path: string, uri: boolean): string {
  return uri ? pathToFileURL(path).href : path;
}
