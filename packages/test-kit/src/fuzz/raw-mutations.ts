import type { Prng } from "../prng.ts";
import type { FuzzCase } from "./fuzz-case.ts";
import { RAW_TEXTS } from "./values.ts";

/**
 * Damage done to a serialized request as text: what a broken client or a
 * flipped byte produces. The fuzz computes what is owed by parsing the result,
 * so a mutation that happens to stay valid JSON is still judged correctly.
 */
export function rawMutation(rng: Prng, text: string, method: string, nextId: () => string | number): FuzzCase {
  switch (rng.int(9)) {
    case 0:
      return { label: "raw:truncate", payload: text.slice(0, rng.int(text.length)) };
    case 1: {
      const at = rng.int(text.length);
      const insert = rng.pick(["{", "}", "[", "]", ",", ":", '"', "\\", "\u0000", "x", " ", "\t", "\r"]);
      return { label: "raw:insert", payload: text.slice(0, at) + insert + text.slice(at) };
    }
    case 2: {
      const at = rng.int(text.length);
      return { label: "raw:delete", payload: text.slice(0, at) + text.slice(at + 1) };
    }
    case 3: {
      const twin = text.replace(/^\{"id":[^,]*,/, `{"id":${JSON.stringify(nextId())},`);
      return { label: "raw:batch", payload: `[${text},${twin}]` };
    }
    case 4:
      return { label: "raw:trailing", payload: text + rng.pick(["x", "}", " {}", ",", "\u0000"]) };
    case 5:
      return { label: "raw:literal", payload: rng.pick(RAW_TEXTS) };
    case 6: {
      // Invalid UTF-8 inside a string value: the daemon decodes with replacement.
      const bytes = Buffer.from(text.replace(/"params":/, `"junk":"\u0001",$&`));
      const at = bytes.indexOf(0x01);
      if (at !== -1) bytes[at] = rng.pick([0xff, 0xc0, 0xed, 0x80, 0xf8]);
      return { label: "raw:bad-utf8", payload: bytes };
    }
    case 7:
      return { label: "raw:bom", payload: `\uFEFF${text}` };
    default:
      // A duplicate key: JSON.parse keeps the last one.
      return { label: "raw:dup-key", payload: text.replace(/^\{/, `{"method":${JSON.stringify(`${method}-shadowed`)},`) };
  }
}
