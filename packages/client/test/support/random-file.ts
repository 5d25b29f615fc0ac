import { createHash } from "node:crypto";

/** Writes `bytes` random bytes to `path`; resolves with their sha256 (hex). */
export async function writeRandomFile(path: string, bytes: number): Promise<string> {
  const data = new Uint8Array(bytes);
  // getRandomValues fills at most 64 KiB per call.
  for (let offset = 0; offset < bytes; offset += 65536) crypto.getRandomValues(data.subarray(offset, offset + 65536));
  await Bun.write(path, data);
  return sha256(data);
}

export function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Hashes a process's output as it is iterated, and checks its seqs have no gap. */
export class OutputDigest {
  private readonly hash = createHash("sha256");
  bytes = 0;
  lastSeq = 0;
  /** Seqs that did not follow the previous one by exactly 1 (a gap or a duplicate). */
  readonly seqBreaks: Array<[number, number]> = [];

  add(chunk: { seq: number; data: Uint8Array }): void {
    if (chunk.seq !== this.lastSeq + 1) this.seqBreaks.push([this.lastSeq, chunk.seq]);
    this.lastSeq = chunk.seq;
    this.hash.update(chunk.data);
    this.bytes += chunk.data.byteLength;
  }

  hex(): string {
    return this.hash.digest("hex");
  }
}
