import { describe, expect, test } from "bun:test";
import { HeadTailBuffer } from "./head-tail.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("HeadTailBuffer", () => {
  test("keeps everything under the cap", () => {
    const buffer = new HeadTailBuffer(10);
    buffer.push(bytes("abc"));
    buffer.push(bytes("defg"));
    expect(buffer.text()).toBe("abcdefg");
    expect(buffer.omittedBytes).toBe(0);
  });

  test("keeps head and tail across many pushes and counts the middle", () => {
    const buffer = new HeadTailBuffer(6);
    for (const piece of ["ab", "cd", "ef", "gh", "ij"]) buffer.push(bytes(piece));
    expect(buffer.omittedBytes).toBe(4);
    expect(buffer.text()).toBe("abc\n[... 4 bytes omitted ...]\nhij");
  });

  test("never splits a UTF-8 character at either cut", () => {
    const buffer = new HeadTailBuffer(8);
    buffer.push(bytes("aé€ü".repeat(4))); // 1 + 2 + 3 + 2 bytes, four times
    const text = buffer.text();
    expect(text).not.toContain("\uFFFD");
    const [head, tail] = text.split(/\n\[\.\.\. \d+ bytes omitted \.\.\.\]\n/);
    expect(head).toBe("aé");
    expect(tail).toBe("ü");
    expect(text).toContain("[... 27 bytes omitted ...]");
  });
});

test("bytes() is the kept head and tail, without a marker", () => {
  const buffer = new HeadTailBuffer(6);
  for (const part of ["abc", "defg", "hij"]) buffer.push(new TextEncoder().encode(part));
  expect(Buffer.from(buffer.bytes()).toString()).toBe("abchij");
  expect(buffer.omittedBytes).toBe(4);
});
