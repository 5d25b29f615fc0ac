import { mkdirSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { CACHE_DIR } from "./paths.ts";

/** A file of random bytes of exactly `bytes`, made once and reused. */
export async function randomFile(bytes: number): Promise<string> {
  mkdirSync(CACHE_DIR, { recursive: true });
  const path = resolve(CACHE_DIR, `random-${bytes}.bin`);
  if (statSync(path, { throwIfNoEntry: false })?.size === bytes) return path;
  const writer = Bun.file(path).writer();
  const block = new Uint8Array(1 << 20);
  for (let written = 0; written < bytes; written += block.length) {
    const part = block.subarray(0, Math.min(block.length, bytes - written));
    // getRandomValues fills at most 64 KiB per call.
    for (let at = 0; at < part.length; at += 65536) crypto.getRandomValues(part.subarray(at, at + 65536));
    writer.write(part);
  }
  await writer.end();
  return path;
}

/** Bytes a terminal delivers for `base64 FILE`: 76-column lines, each "\n" turned into "\r\n". */
export function base64TerminalBytes(inputBytes: number): number {
  const encoded = Math.ceil(inputBytes / 3) * 4;
  const lines = Math.ceil(encoded / 76);
  return encoded + lines * 2;
}
