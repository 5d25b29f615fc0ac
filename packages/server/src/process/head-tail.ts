/**
 * The first and last `cap / 2` bytes of some chunks, and how many bytes in the
 * middle were left out: long outputs keep both the command's start (banners,
 * first errors) and its end (the final result).
 */
export function headTail(chunks: readonly Uint8Array[], cap: number): { bytes: Uint8Array; omitted: number } {
  const total = chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
  const all = Buffer.concat(chunks, total);
  if (total <= cap) return { bytes: all, omitted: 0 };
  const head = Math.ceil(cap / 2);
  const tail = cap - head;
  return { bytes: Buffer.concat([all.subarray(0, head), all.subarray(total - tail)]), omitted: total - cap };
}
