import type { Prng } from "../prng.ts";

/** The JSON Schema keywords TypeBox emits that the sampler understands. */
export interface JsonSchemaNode {
  readonly type?: string | readonly string[];
  readonly properties?: Readonly<Record<string, JsonSchemaNode>>;
  readonly required?: readonly string[];
  readonly patternProperties?: Readonly<Record<string, JsonSchemaNode>>;
  readonly additionalProperties?: boolean | JsonSchemaNode;
  readonly items?: JsonSchemaNode;
  readonly anyOf?: readonly JsonSchemaNode[];
  readonly oneOf?: readonly JsonSchemaNode[];
  readonly allOf?: readonly JsonSchemaNode[];
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly exclusiveMaximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly pattern?: string;
  readonly contentEncoding?: string;
}

/** Returned by a hint to leave an optional property out. */
export const OMIT: unique symbol = Symbol("omit");

/** Supplies domain values by property name; `undefined` defers to the schema, `OMIT` leaves it out. */
export type PropertyHint = (name: string, schema: JsonSchemaNode, rng: Prng) => unknown;

export interface SampleOptions {
  readonly rng: Prng;
  readonly hint?: PropertyHint;
  /** Include every optional property (for systematic sweeps); otherwise each is a coin flip. */
  readonly allOptional?: boolean;
}

const ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789";

/**
 * A value valid for `schema`, built from its keywords. Unknown keywords are
 * ignored, so callers check the result with the compiled validator and count
 * misses rather than trusting it blindly.
 */
export function sampleValue(schema: JsonSchemaNode, options: SampleOptions, name = ""): unknown {
  const { rng } = options;
  if (name !== "" && options.hint) {
    const hinted = options.hint(name, schema, rng);
    if (hinted !== undefined) return hinted;
  }
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return rng.pick(schema.enum);
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches && branches.length > 0) {
    // Prefer non-null branches: they reach deeper into the handler.
    const nonNull = branches.filter((branch) => branch.type !== "null");
    const branch = nonNull.length > 0 && rng.chance(0.8) ? rng.pick(nonNull) : rng.pick(branches);
    return sampleValue(branch, options, name);
  }
  if (schema.allOf && schema.allOf.length > 0) return sampleValue(Object.assign({}, ...schema.allOf), options, name);
  const type = Array.isArray(schema.type) ? rng.pick(schema.type) : schema.type;
  switch (type) {
    case "object":
      return sampleObject(schema, options);
    case "array": {
      const count = rng.range(Math.max(schema.minItems ?? 0, 1), Math.max(schema.minItems ?? 0, 1, Math.min(schema.maxItems ?? 3, 3)));
      return Array.from({ length: count }, () => sampleValue(schema.items ?? {}, options));
    }
    case "string":
      return sampleString(schema, rng);
    case "integer":
    case "number": {
      const low = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : 0);
      const high = schema.maximum ?? (schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - 1 : low + 1000);
      const value = rng.range(low, Math.min(high, low + 1000));
      return type === "number" && rng.chance(0.5) ? value + 0.5 : value;
    }
    case "boolean":
      return rng.chance(0.5);
    case "null":
      return null;
    default:
      // Unknown/any: a small JSON value of any type.
      return rng.pick([null, true, 1, "x", [], {}]);
  }
}

function sampleObject(schema: JsonSchemaNode, options: SampleOptions): Record<string, unknown> {
  const { rng } = options;
  const out: Record<string, unknown> = {};
  const required = new Set(schema.required ?? []);
  for (const [key, property] of Object.entries(schema.properties ?? {})) {
    if (!required.has(key) && !options.allOptional && rng.chance(0.5)) continue;
    let value = sampleValue(property, options, key);
    // A hint may only leave out what is optional.
    if (value === OMIT && required.has(key)) value = sampleValue(property, options);
    if (value !== OMIT) out[key] = value;
  }
  const patterns = Object.values(schema.patternProperties ?? {});
  if (patterns.length > 0 && Object.keys(schema.properties ?? {}).length === 0) {
    const count = rng.range(0, 3);
    for (let i = 0; i < count; i++) out[`K${i}_${randomWord(rng, 4)}`] = sampleValue(patterns[0]!, options);
  }
  return out;
}

function sampleString(schema: JsonSchemaNode, rng: Prng): string {
  if (schema.contentEncoding === "base64") return Buffer.from(rng.bytes(rng.range(0, 48))).toString("base64");
  const min = Math.max(schema.minLength ?? 0, 1);
  const max = Math.max(min, Math.min(schema.maxLength ?? 12, 12));
  return randomWord(rng, rng.range(min, max));
}

function randomWord(rng: Prng, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += ALNUM[rng.int(ALNUM.length)];
  return out;
}

/** Every property path an object schema declares, nested objects included (arrays are leaves). */
export function declaredPaths(schema: JsonSchemaNode, prefix: readonly string[] = []): string[][] {
  const out: string[][] = [];
  const objectBranch = schema.type === "object" ? schema : (schema.anyOf ?? []).find((branch) => branch.type === "object");
  for (const [key, property] of Object.entries(objectBranch?.properties ?? {})) {
    const path = [...prefix, key];
    out.push(path);
    out.push(...declaredPaths(property, path));
  }
  return out;
}
