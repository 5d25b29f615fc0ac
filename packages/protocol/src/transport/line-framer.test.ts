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
