import type { Prng } from "../prng.ts";

/** One value of every JSON type, plus a few shapes handlers tend to trip on. */
export const TYPE_VALUES: readonly unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  1e308,
  "",
  "x",
  [],
  {},
  [null],
  ["a", 1],
  { a: "b" },
  [[[]]],
];

export const SPECIAL_STRINGS: readonly string[] = [
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\uD800",
  "\uDFFF\uD800",
  "😀".repeat(8),
  "\u202Eevil",
  "\r\n",
  "\n",
  "\u2028\u2029",
  "\uFEFF",
  "..",
  "../../../etc/passwd",
  "/",
  "%s%n%x%p",
  "${IFS}",
  "$(id)",
  "`id`",
  "'\"\\",
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "hasOwnProperty",
  "-1",
  "NaN",
  "Infinity",
  "null",
  "0x10",
  "1e309",
  "\u001b[2J\u001b[H",
  "a".repeat(300),
];

export const BAD_BASE64: readonly string[] = [
  "a",
  "ab",
  "abc",
  "abcde",
  "=",
  "==",
  "===",
  "====",
  "a===",
  "ab=c",
  "@@@@",
  "-_-_",
  "YQ",
  "YQ=",
  "YQ===",
  " YQ==",
  "YQ==\n",
  "YQ==YQ==",
  "YW Jj",
  "éééé",
  "Zm9v\u0000",
  "data:text/plain;base64,YQ==",
];

export const BOUNDARY_NUMBERS: readonly number[] = [
  -1,
  -0,
  0,
  1,
  0.5,
  1.5,
  255,
  256,
  65535,
  65536,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32,
  2 ** 53 - 1,
  2 ** 53,
  2 ** 53 + 2,
  -(2 ** 53),
  1e308,
  -1e308,
  5e-324,
  3_600_000,
  3_600_001,
];

/** Number tokens only raw text can carry (JSON.stringify never writes them). */
export const RAW_NUMBER_TOKENS: readonly string[] = [
  "1e400",
  "-1e400",
  "1E+2",
  "0.0000",
  "00",
  "-",
  "+1",
  ".5",
  "5.",
  "NaN",
  "Infinity",
  "0x10",
  "1_000",
];

/** Texts that are not one valid JSON object (or not JSON at all). */
export const RAW_TEXTS: readonly string[] = [
  "",
  " ",
  "\t",
  "{",
  "}",
  "[",
  "{}",
  "[]",
  "[{}]",
  "null",
  "true",
  "0",
  '"str"',
  "{}{}",
  '{"id":1}{"id":2}',
  "{'id':1,'method':'initialize'}",
  '{"id":1,"method":"initialize",}',
  '{"id":1,/*c*/"method":"initialize"}',
  '{"id":1,"method":"initialize"} // trailing',
  "\u0000",
  "\u0001\u0002\u0003",
  "\uFEFF{}",
  "\uFEFF",
  '{"id":1,"method":"initialize","params":{"clientName":"x"}',
  '{"id":"unterminated,"method":"x"}',
  '{"id":1,"method":"x","params":"\\uZZZZ"}',
  '{"id":1,"method":"x","params":"\\ud800"}',
  '{"__proto__":{"polluted":true},"id":"proto-1","method":"initialize"}',
  "undefined",
  "NaN",
];

/** A string of about `bytes` UTF-8 bytes, sometimes multi-byte. */
export function hugeString(rng: Prng, bytes: number): string {
  const unit = rng.pick(["A", "é", "😀", "\\", '"', "\u0000"]);
  const unitBytes = Buffer.byteLength(unit);
  // Escaped forms grow when serialized: keep the wire size near `bytes`.
  const wire = unit === "\\" || unit === '"' ? 2 : unit === "\u0000" ? 6 : unitBytes;
  return unit.repeat(Math.max(1, Math.floor(bytes / wire)));
}

/** An array or object nested `depth` levels, as a JS value. */
export function deepValue(depth: number, kind: "array" | "object"): unknown {
  let value: unknown = kind === "array" ? [] : {};
  for (let i = 0; i < depth; i++) value = kind === "array" ? [value] : { a: value };
  return value;
}

/** The same nesting as raw text (cheaper to build than serializing a deep value). */
export function deepText(depth: number, kind: "array" | "object"): string {
  return kind === "array" ? "[".repeat(depth) + "]".repeat(depth) : '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
}
