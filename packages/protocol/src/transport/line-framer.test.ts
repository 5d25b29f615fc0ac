import { expect, test } from "bun:test";
import { LineFramer, MessageTooLargeError } from "./line-framer.ts";

const enc = (s: string) => new TextEncoder().encode(s);

test("splits lines across chunks, drops \\r and blank lines, decodes split UTF-8", () => {
  const framer = new LineFramer(1024);
  expect(framer.push(enc('{"a":1}\n{"b"'))).toEqual(['{"a":1}']);
  const euro = enc("€");
  expect(framer.push(new Uint8Array([...enc(':"'), euro[0]!]))).toEqual([]);
  expect(framer.push(new Uint8Array([...euro.subarray(1), ...enc('"}\r\n\n  \n')]))).toEqual(['{"b":"€"}']);
});

test("a message over the limit throws, with or without a newline", () => {
  expect(() => new LineFramer(8).push(enc("123456789\n"))).toThrow(MessageTooLargeError);
  const framer = new LineFramer(8);
  framer.push(enc("12345"));
  expect(() => framer.push(enc("6789"))).toThrow(MessageTooLargeError);
  expect(new LineFramer(8).push(enc("12345678\n"))).toEqual(["12345678"]);
});

test("a line split over many reads is whole, and a character split at the line's end stays in its line", () => {
  const framer = new LineFramer(1 << 20);
  const text = `{"chunk":"${"A".repeat(100_000)}€"}`;
  const bytes = enc(`${text}\n{"next":1}\n`);
  const lines: string[] = [];
  for (let at = 0; at < bytes.length; at += 4099) lines.push(...framer.push(bytes.subarray(at, at + 4099)));
  expect(lines).toEqual([text, '{"next":1}']);
  // A truncated character before the newline is replaced in its own line, not carried into the next.
  expect(framer.push(new Uint8Array([0x61, 0xe2]))).toEqual([]);
  expect(framer.push(new Uint8Array([0x0a, 0x62, 0x0a]))).toEqual(["a\uFFFD", "b"]);
  expect(framer.pendingBytes).toBe(0);
});

test("the bound counts the bytes held and the rest of the line together", () => {
  const framer = new LineFramer(8);
  expect(framer.push(enc("1234"))).toEqual([]);
  expect(framer.push(enc("5678\n"))).toEqual(["12345678"]);
  framer.push(enc("1234"));
  expect(() => framer.push(enc("56789\n"))).toThrow(MessageTooLargeError);
});
