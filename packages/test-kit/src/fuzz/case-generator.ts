import { ClientNotifications, Methods, parseParams, type MethodName } from "@x/exec-protocol";
import type { Prng } from "../prng.ts";
import { concretePaths, deleteAt, getAt, setAt, type JsonPath } from "./json-paths.ts";
import { declaredPaths, sampleValue, type JsonSchemaNode, type PropertyHint } from "./schema-sample.ts";
import { execValue } from "./exec-hints.ts";
import type { FuzzCase } from "./fuzz-case.ts";
import { rawMutation } from "./raw-mutations.ts";
import {
  BAD_BASE64,
  BOUNDARY_NUMBERS,
  deepText,
  hugeString,
  RAW_NUMBER_TOKENS,
  RAW_TEXTS,
  SPECIAL_STRINGS,
  TYPE_VALUES,
} from "./values.ts";


export interface GeneratorOptions {
  readonly rng: Prng;
  /** `NAME=value` put in the environment of every process the fuzz starts, to find leaks. */
  readonly markerName: string;
  readonly markerValue: string;
  /** Largest string a case may carry: keep it under the daemon's --max-message-bytes. */
  readonly hugeMaxBytes: number;
  readonly cwd: string;
  /**
   * A scratch directory the daemon was started with as its --fs-root. Without
   * one, fs/* methods are left out: mutated paths ("/", "../../..") must never
   * reach a daemon that is not confined.
   */
  readonly fsRoot?: string;
}

interface MethodEntry {
  readonly name: MethodName;
  readonly params: JsonSchemaNode;
}

const DEEP_PLACEHOLDER = "\u0001deep\u0001";

/**
 * Builds fuzz messages from the protocol's own tables: valid params sampled from
 * each method's TypeBox schema, then mutated. A method added to `Methods` is
 * fuzzed without any change here.
 */
export class CaseGenerator {
  readonly methods: readonly MethodEntry[];
  /** Methods whose sampled params failed their own validator (sampler gaps). */
  readonly samplerMisses = new Map<string, number>();
  private readonly rng: Prng;
  private idCounter = 0;
  private readonly hint: PropertyHint;

  constructor(private readonly options: GeneratorOptions) {
    this.rng = options.rng;
    this.methods = Object.entries(Methods)
      .filter(([name]) => options.fsRoot !== undefined || !name.startsWith("fs/"))
      .map(([name, spec]) => ({
      name: name as MethodName,
      params: spec.params as unknown as JsonSchemaNode,
    }));
    this.hint = (name, schema, rng) => execValue(name, schema, rng, options);
  }

  /** A fresh request id of a varying form, never repeated by this generator. */
  nextId(): string | number {
    const n = ++this.idCounter;
    switch (n % 8) {
      case 0:
        return n;
      case 1:
        return -n;
      case 2:
        return n + 0.25;
      case 3:
        return n * 1e12;
      case 4:
        return `${n}`;
      case 5:
        return `id-${n}-😀`;
      case 6:
        return `\u0000${n}`;
      default:
        return `${"x".repeat(this.rng.range(1, 64))}#${n}`;
    }
  }

  /** Valid params for a method, checked against its validator. */
  validParams(entry: MethodEntry, allOptional = false): unknown {
    const params = sampleValue(entry.params, { rng: this.rng, hint: this.hint, allOptional });
    try {
      parseParams(entry.name, params);
    } catch {
      this.samplerMisses.set(entry.name, (this.samplerMisses.get(entry.name) ?? 0) + 1);
    }
    return params;
  }

  /** Requests sent before initialize: each must be refused with an error. */
  preHandshake(): FuzzCase[] {
    const out: FuzzCase[] = [{ label: "pre:initialized-early", payload: JSON.stringify({ method: "initialized" }) }];
    for (const entry of this.methods) {
      if (entry.name === "initialize") continue;
      out.push(this.text("pre:request", { id: this.nextId(), method: entry.name, params: this.validParams(entry) }));
    }
    out.push(this.text("pre:initialize-bad", { id: this.nextId(), method: "initialize", params: { clientName: 7 } }));
    out.push(this.text("pre:initialize-no-params", { id: this.nextId(), method: "initialize" }));
    return out;
  }

  /**
   * Every field of every method set to a value of every JSON type, removed, and
   * given an extra sibling; every id form; every raw text. Deterministic in size.
   */
  systematic(): FuzzCase[] {
    const out: FuzzCase[] = [];
    for (const entry of this.methods) {
      const params = this.validParams(entry, true);
      const paths = uniquePaths([...concretePaths(params), ...declaredPaths(entry.params)]);
      for (const path of paths) {
        for (const value of TYPE_VALUES) out.push(this.request(`sys:type:${entry.name}`, entry.name, setAt(params, path, value)));
        out.push(this.request(`sys:delete:${entry.name}`, entry.name, deleteAt(params, path)));
      }
      out.push(this.request(`sys:extra:${entry.name}`, entry.name, setAt(params, ["extraField"], { x: [1, "y"] })));
      for (const value of TYPE_VALUES) out.push(this.request(`sys:params:${entry.name}`, entry.name, value));
      out.push(this.text(`sys:no-params:${entry.name}`, { id: this.nextId(), method: entry.name }));
      out.push(this.text(`sys:notification:${entry.name}`, { method: entry.name, params }));
      for (const id of [null, true, false, [], {}, [1], { id: 1 }]) {
        out.push(this.text(`sys:id:${entry.name}`, { id, method: entry.name, params }));
      }
      for (const token of RAW_NUMBER_TOKENS) {
        out.push({ label: "sys:raw-id", payload: `{"id":${token},"method":${JSON.stringify(entry.name)}}` });
      }
    }
    for (const text of RAW_TEXTS) out.push({ label: "sys:raw", payload: text });
    return out;
  }

  /** Many requests back to back, to be sent without pauses. */
  flood(count: number): FuzzCase[] {
    const out: FuzzCase[] = [];
    for (let i = 0; i < count; i++) {
      const entry = this.rng.pick(this.methods);
      out.push(this.request(`flood:${entry.name}`, entry.name, this.validParams(entry)));
    }
    return out;
  }

  /** One randomly mutated message. */
  random(): FuzzCase {
    const rng = this.rng;
    const entry = rng.pick(this.methods);
    const params = this.validParams(entry, rng.chance(0.3));
    const mutation = rng.weighted<() => FuzzCase>([
      [5, () => this.request(`valid:${entry.name}`, entry.name, params)],
      [22, () => this.mutateField(entry, params, rng.pick(TYPE_VALUES), "type")],
      [8, () => this.mutateDelete(entry, params)],
      [8, () => this.mutateField(entry, params, rng.pick(SPECIAL_STRINGS), "special")],
      [6, () => this.mutateField(entry, params, rng.pick(BOUNDARY_NUMBERS), "number")],
      [5, () => this.mutateBase64(entry, params)],
      [2, () => this.mutateField(entry, params, hugeString(rng, this.hugeSize()), "huge")],
      [2, () => this.mutateDeep(entry, params)],
      [5, () => this.mutateExtra(entry, params)],
      [5, () => this.request(`params:${entry.name}`, entry.name, rng.pick(TYPE_VALUES))],
      [8, () => this.mutateId(entry, params)],
      [6, () => this.mutateMethod(params)],
      [10, () => this.mutateRaw(entry, params)],
      [4, () => this.mutateEnvelope(entry, params)],
      [4, () => this.notification(params)],
    ]);
    return mutation();
  }

  private hugeSize(): number {
    return this.rng.pick([4096, 65536, 262144, this.options.hugeMaxBytes]);
  }

  private request(label: string, method: string, params: unknown): FuzzCase {
    return this.text(label, { id: this.nextId(), method, params });
  }

  private text(label: string, message: unknown): FuzzCase {
    return { label, payload: JSON.stringify(message) };
  }

  private pathIn(entry: MethodEntry, params: unknown): JsonPath {
    const paths = uniquePaths([...concretePaths(params), ...declaredPaths(entry.params)]);
    return paths.length > 0 ? this.rng.pick(paths) : ["field"];
  }

  private mutateField(entry: MethodEntry, params: unknown, value: unknown, kind: string): FuzzCase {
    return this.request(`${kind}:${entry.name}`, entry.name, setAt(params, this.pathIn(entry, params), value));
  }

  private mutateDelete(entry: MethodEntry, params: unknown): FuzzCase {
    return this.request(`delete:${entry.name}`, entry.name, deleteAt(params, this.pathIn(entry, params)));
  }

  private mutateBase64(entry: MethodEntry, params: unknown): FuzzCase {
    // Prefer fields the schema says carry base64; fall back to any field.
    const encoded = concretePaths(params).filter((path) => isBase64Field(entry.params, path));
    const path = encoded.length > 0 ? this.rng.pick(encoded) : this.pathIn(entry, params);
    const value = this.rng.chance(0.1) ? `${"QUFB".repeat(this.rng.range(1, 4096))}*` : this.rng.pick(BAD_BASE64);
    return this.request(`base64:${entry.name}`, entry.name, setAt(params, path, value));
  }

  private mutateDeep(entry: MethodEntry, params: unknown): FuzzCase {
    const depth = this.rng.pick([64, 1000, 10_000, 100_000]);
    const kind = this.rng.chance(0.5) ? "array" : "object";
    const where = this.rng.chance(0.2) ? [] : this.pathIn(entry, params);
    const message = { id: this.nextId(), method: entry.name, params: setAt(params, where, DEEP_PLACEHOLDER) };
    const text = JSON.stringify(message).replace(JSON.stringify(DEEP_PLACEHOLDER), deepText(depth, kind));
    return { label: `deep:${entry.name}`, payload: text };
  }

  private mutateExtra(entry: MethodEntry, params: unknown): FuzzCase {
    const objects = [[] as JsonPath, ...concretePaths(params)].filter((path) => {
      const node = path.length === 0 ? params : getAt(params, path);
      return node !== null && typeof node === "object" && !Array.isArray(node);
    });
    const at = this.rng.pick(objects);
    const key = this.rng.pick([...SPECIAL_STRINGS, "extra", "jsonrpc", "id", "method", "processId"]);
    return this.request(`extra:${entry.name}`, entry.name, setAt(params, [...at, key], this.rng.pick(TYPE_VALUES)));
  }

  private mutateId(entry: MethodEntry, params: unknown): FuzzCase {
    const rng = this.rng;
    const id = rng.pick<unknown>([null, true, false, [], {}, [1], { id: 1 }, this.nextId(), this.nextId()]);
    const message: Record<string, unknown> = { method: entry.name, params };
    if (rng.chance(0.15)) return this.text(`id-missing:${entry.name}`, message);
    return this.text(`id:${entry.name}`, { id, ...message });
  }

  private mutateMethod(params: unknown): FuzzCase {
    const rng = this.rng;
    const names = [...this.methods.map((entry) => entry.name), ...Object.keys(ClientNotifications), "process/output"];
    const base = rng.pick(names);
    const method = rng.pick<unknown>([
      `${base}x`,
      base.toUpperCase(),
      ` ${base}`,
      `${base}\u0000`,
      base.replace("/", "\\"),
      `unknown/${rng.int(1000)}`,
      "",
      "__proto__",
      "constructor",
      "toString",
      "hasOwnProperty",
      "process/",
      "rpc.discover",
      "initialized",
      "process/output",
      hugeString(rng, 4096),
      42,
      null,
      true,
      [],
      { name: base },
    ]);
    const message: Record<string, unknown> = { id: this.nextId(), params };
    if (rng.chance(0.85)) message.method = method;
    return this.text("method", message);
  }

  private mutateEnvelope(entry: MethodEntry, params: unknown): FuzzCase {
    const rng = this.rng;
    const message: Record<string, unknown> = { id: this.nextId(), method: entry.name, params };
    const change = rng.int(5);
    if (change === 0) message.jsonrpc = rng.pick(["2.0", "1.0", 2, null, ""]);
    else if (change === 1) message.result = rng.pick(TYPE_VALUES);
    else if (change === 2) message.error = { code: -1, message: "client error" };
    else if (change === 3) {
      delete message.method;
      message.result = rng.pick(TYPE_VALUES);
    } else {
      delete message.method;
      message.error = rng.pick([{ code: 1, message: "x" }, null, "x"]);
    }
    return this.text(`envelope:${entry.name}`, message);
  }

  private notification(params: unknown): FuzzCase {
    const method = this.rng.pick([...Object.keys(ClientNotifications), "process/exited", "unknown/notification", "x".repeat(2000)]);
    return this.text("notification", this.rng.chance(0.5) ? { method, params } : { method });
  }

  private mutateRaw(entry: MethodEntry, params: unknown): FuzzCase {
    const text = JSON.stringify({ id: this.nextId(), method: entry.name, params });
    return rawMutation(this.rng, text, entry.name, () => this.nextId());
  }
}

function isBase64Field(schema: JsonSchemaNode, path: JsonPath): boolean {
  let node: JsonSchemaNode | undefined = schema;
  for (const key of path) {
    if (!node) return false;
    node = typeof key === "number" ? node.items : node.properties?.[key];
  }
  return node?.contentEncoding === "base64";
}

function uniquePaths(paths: readonly JsonPath[]): JsonPath[] {
  const seen = new Set<string>();
  return paths.filter((path) => {
    const key = JSON.stringify(path);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
