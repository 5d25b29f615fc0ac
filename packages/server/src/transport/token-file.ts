import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** 32 random bytes, base64url: what a TCP listener requires when it was given no token. */
export function generateToken(): string {
  return randomBytes(32).toString("base64url");
}

/**
 * Where the generated token of the listener on `port` is written:
 * `$XDG_RUNTIME_DIR/exec-server/ws-PORT.token` (a per-user tmpfs) when that is
 * set, else `~/.exec-server/ws-PORT.token`. The directory is mode 0700.
 */
export function tokenFilePath(port: number, env: Record<string, string | undefined> = process.env): string {
  const base = env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, "exec-server") : join(env.HOME || homedir(), ".exec-server");
  return join(base, `ws-${port}.token`);
}

/** Writes the token readable by its owner only (0600, in a 0700 directory). */
export function writeTokenFile(path: string, token: string): void {
  mkdirSync(join(path, ".."), { recursive: true, mode: 0o700 });
  rmSync(path, { force: true }); // the mode applies only to a new file
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
}

export function removeTokenFile(path: string): void {
  rmSync(path, { force: true });
}
