import { concatBytes } from "@x/exec-protocol";

const ESC = 0x1b;
/** Longest escape sequence start carried over to the next chunk (a query split across reads). */
const CARRY_BYTES = 64;

/**
 * Finds, in PTY output, escape sequences a terminal is expected to answer:
 * CSI ... c (device attributes), n (status, cursor position), t (window
 * reports), p (mode requests), q (version); DCS (capability and setting
 * requests); OSC ... ? (color queries); ESC Z. A program waits for the answer,
 * so the screen model must be running to give it. A sequence split across
 * chunks is found when its end arrives. Conservative: a false positive only
 * starts the screen model early.
 */
export class TerminalQueryScan {
  private carry: Uint8Array | undefined;

  /** True when `data` (after what was carried over) may contain a query. */
  push(data: Uint8Array): boolean {
    const bytes = this.carry ? concatBytes([this.carry, data]) : data;
    this.carry = undefined;
    let at = bytes.indexOf(ESC);
    while (at !== -1) {
      const verdict = classify(bytes, at);
      if (verdict === "query") return true;
      if (verdict === "incomplete") {
        this.carry = bytes.slice(at, at + CARRY_BYTES);
        return false;
      }
      at = bytes.indexOf(ESC, at + 1);
    }
    return false;
  }
}

type Verdict = "query" | "other" | "incomplete";

const QUERY_CSI_FINALS = new Set([0x63, 0x6e, 0x74, 0x70, 0x71]); // c n t p q

function classify(bytes: Uint8Array, at: number): Verdict {
  const kind = bytes[at + 1];
  if (kind === undefined) return "incomplete";
  if (kind === 0x5a) return "query"; // ESC Z (DECID)
  if (kind === 0x50) return "query"; // DCS
  if (kind === 0x5b) {
    // CSI: parameter and intermediate bytes (0x20-0x3f), then a final byte.
    for (let i = at + 2; i < bytes.length && i < at + CARRY_BYTES; i++) {
      const byte = bytes[i]!;
      if (byte >= 0x40 && byte <= 0x7e) return QUERY_CSI_FINALS.has(byte) ? "query" : "other";
      if (byte < 0x20 || byte > 0x3f) return "other";
    }
    return bytes.length - at < CARRY_BYTES ? "incomplete" : "other";
  }
  if (kind === 0x5d) {
    // OSC: a `?` before its terminator (BEL or ESC \) asks for a value.
    for (let i = at + 2; i < bytes.length && i < at + CARRY_BYTES; i++) {
      const byte = bytes[i]!;
      if (byte === 0x3f) return "query";
      if (byte === 0x07 || byte === ESC) return "other";
    }
    return bytes.length - at < CARRY_BYTES ? "incomplete" : "other";
  }
  return "other";
}

