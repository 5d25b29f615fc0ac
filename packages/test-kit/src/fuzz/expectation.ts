import { MAX_BATCH_ENTRIES } from "@x/exec-protocol";

/**
 * What the daemon owes for one inbound message, from JSON-RPC 2.0: a response
 * with the request's id; an error with id null when the message is not JSON
 * (-32700) or not a request it can answer by id (-32600); nothing for
 * notifications and for responses sent by the client.
 */
export type Expectation =
  | { readonly kind: "response"; readonly key: string }
  | { readonly kind: "null-error"; readonly code: number };

/** A stable key for a request id as it round-trips through JSON. */
export function idKey(id: string | number): string {
  return typeof id === "string" ? `s:${id}` : `n:${String(id)}`;
}

export function isValidId(id: unknown): id is string | number {
  return typeof id === "string" || (typeof id === "number" && Number.isFinite(id));
}

/**
 * Everything owed for one inbound text. A batch array owes what its entries
 * owe (inside one array reply); an empty or oversized batch owes one error.
 */
export function expectFor(text: string): Expectation[] {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return [{ kind: "null-error", code: -32700 }];
  }
  if (Array.isArray(message)) {
    if (message.length === 0 || message.length > MAX_BATCH_ENTRIES) return [{ kind: "null-error", code: -32600 }];
    return message.flatMap(expectForMessage);
  }
  return expectForMessage(message);
}

function expectForMessage(message: unknown): Expectation[] {
  if (typeof message !== "object" || message === null || Array.isArray(message)) {
    return [{ kind: "null-error", code: -32600 }];
  }
  const record = message as Record<string, unknown>;
  const hasId = Object.hasOwn(record, "id");
  const id = record.id;
  if (typeof record.method !== "string") {
    if (hasId && (Object.hasOwn(record, "result") || Object.hasOwn(record, "error"))) return [];
    return [isValidId(id) ? { kind: "response", key: idKey(id) } : { kind: "null-error", code: -32600 }];
  }
  if (!hasId) return [];
  return [isValidId(id) ? { kind: "response", key: idKey(id) } : { kind: "null-error", code: -32600 }];
}

const utf8 = new TextEncoder();
const stripBom = new TextDecoder();
const keepBom = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * The messages the daemon will see for what is sent, as text: a websocket text
 * frame arrives as is (lone surrogates become U+FFFD in UTF-8); a binary frame
 * and each stdio line are decoded like the daemon does (BOM dropped, invalid
 * UTF-8 replaced); stdio lines lose a trailing CR and blank lines are skipped.
 */
export function inboundTexts(payload: string | Uint8Array, transport: "stdio" | "websocket"): string[] {
  if (transport === "websocket") {
    return [typeof payload === "string" ? keepBom.decode(utf8.encode(payload)) : stripBom.decode(payload)];
  }
  const bytes = typeof payload === "string" ? utf8.encode(payload) : payload;
  const out: string[] = [];
  let start = 0;
  for (;;) {
    const newline = bytes.indexOf(0x0a, start);
    const end = newline === -1 ? bytes.length : newline;
    let line = new TextDecoder().decode(bytes.subarray(start, end));
    if (line.endsWith("\r")) line = line.slice(0, -1);
    if (line.trim() !== "") out.push(line);
    if (newline === -1) break;
    start = newline + 1;
  }
  return out;
}

export interface Discrepancy {
  readonly what: "missing" | "duplicate" | "unexpected" | "null-missing" | "null-extra" | "malformed";
  readonly detail: string;
}

/**
 * Counts owed and received responses. A key may be owed more than once (raw
 * mutations can repeat an id); the check is that every key gets exactly as
 * many responses as it was owed.
 */
export class ResponseTally {
  private readonly owed = new Map<string, number>();
  private readonly got = new Map<string, number>();
  private readonly nullOwed = new Map<number, number>();
  private readonly nullGot = new Map<number, number>();
  private deficit = 0;
  requestsOwed = 0;
  responses = 0;
  nullErrors = 0;
  results = 0;
  readonly errorCodes = new Map<number, number>();
  readonly internalErrors = new Map<string, number>();
  readonly malformed: string[] = [];

  expect(expectations: readonly Expectation[]): void {
    for (const expectation of expectations) {
      if (expectation.kind === "response") {
        this.requestsOwed++;
        if (bump(this.owed, expectation.key) > (this.got.get(expectation.key) ?? 0)) this.deficit++;
      } else {
        if (bump(this.nullOwed, expectation.code) > (this.nullGot.get(expectation.code) ?? 0)) this.deficit++;
      }
    }
  }

  /** One inbound message that is not a notification. */
  record(message: Record<string, unknown>, text: string): void {
    const { id, error } = message;
    const hasResult = Object.hasOwn(message, "result");
    const errorObject = error as { code?: unknown; message?: unknown } | undefined;
    const wellFormedError =
      errorObject !== undefined && Number.isInteger(errorObject.code) && typeof errorObject.message === "string";
    if (hasResult === (error !== undefined) || (error !== undefined && !wellFormedError) || !(id === null || isValidId(id))) {
      this.malformed.push(text.slice(0, 300));
      return;
    }
    this.responses++;
    if (hasResult) {
      this.results++;
    } else {
      const code = errorObject!.code as number;
      bump(this.errorCodes, code);
      if (code === -32603) bump(this.internalErrors, String(errorObject!.message).slice(0, 120));
    }
    if (id === null) {
      this.nullErrors++;
      const code = hasResult ? 0 : (errorObject!.code as number);
      if (bump(this.nullGot, code) <= (this.nullOwed.get(code) ?? 0)) this.deficit--;
      return;
    }
    const key = idKey(id as string | number);
    if (bump(this.got, key) <= (this.owed.get(key) ?? 0)) this.deficit--;
  }

  /** Responses still owed. */
  get outstanding(): number {
    return this.deficit;
  }

  discrepancies(limit = 20): Discrepancy[] {
    const out: Discrepancy[] = [...this.malformed.slice(0, limit).map((detail) => ({ what: "malformed" as const, detail }))];
    for (const [key, owed] of this.owed) {
      const got = this.got.get(key) ?? 0;
      if (got < owed) out.push({ what: "missing", detail: `${key.slice(0, 80)} owed ${owed} got ${got}` });
      if (got > owed) out.push({ what: "duplicate", detail: `${key.slice(0, 80)} owed ${owed} got ${got}` });
    }
    for (const [key, got] of this.got) {
      if (!this.owed.has(key)) out.push({ what: "unexpected", detail: `${key.slice(0, 80)} got ${got}` });
    }
    for (const code of new Set([...this.nullOwed.keys(), ...this.nullGot.keys()])) {
      const owed = this.nullOwed.get(code) ?? 0;
      const got = this.nullGot.get(code) ?? 0;
      if (got < owed) out.push({ what: "null-missing", detail: `code ${code}: owed ${owed} got ${got}` });
      if (got > owed) out.push({ what: "null-extra", detail: `code ${code}: owed ${owed} got ${got}` });
    }
    return out.slice(0, limit);
  }

  get discrepancyCount(): number {
    let count = this.malformed.length;
    for (const [key, owed] of this.owed) if ((this.got.get(key) ?? 0) !== owed) count++;
    for (const key of this.got.keys()) if (!this.owed.has(key)) count++;
    for (const code of new Set([...this.nullOwed.keys(), ...this.nullGot.keys()])) {
      if ((this.nullOwed.get(code) ?? 0) !== (this.nullGot.get(code) ?? 0)) count++;
    }
    return count;
  }
}

function bump<K>(map: Map<K, number>, key: K): number {
  const next = (map.get(key) ?? 0) + 1;
  map.set(key, next);
  return next;
}
