export type JsonPath = ReadonlyArray<string | number>;

/** Every path inside a JSON value (objects' keys and arrays' indices), the root excluded. */
export function concretePaths(value: unknown, prefix: JsonPath = [], maxDepth = 6): JsonPath[] {
  if (maxDepth === 0 || value === null || typeof value !== "object") return [];
  const out: JsonPath[] = [];
  const entries: Array<[string | number, unknown]> = Array.isArray(value)
    ? value.map((item, index) => [index, item])
    : Object.entries(value);
  for (const [key, child] of entries) {
    const path = [...prefix, key];
    out.push(path);
    out.push(...concretePaths(child, path, maxDepth - 1));
  }
  return out;
}

/** Sets `path` in `root` (a fresh clone), creating objects on the way; returns the new root. */
export function setAt(root: unknown, path: JsonPath, value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(root);
  let node = (copy !== null && typeof copy === "object" ? copy : {}) as Record<string | number, unknown>;
  const top = node;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === null || typeof next !== "object") node[key] = {};
    node = node[key] as Record<string | number, unknown>;
  }
  // defineProperty, not assignment: a "__proto__" key must become an own property.
  Object.defineProperty(node, path.at(-1)!, { value, enumerable: true, writable: true, configurable: true });
  return top;
}

/** Removes `path` from a fresh clone of `root`. */
export function deleteAt(root: unknown, path: JsonPath): unknown {
  const copy = structuredClone(root);
  let node = copy as Record<string | number, unknown> | unknown[] | null;
  for (const key of path.slice(0, -1)) {
    if (node === null || typeof node !== "object") return copy;
    node = (node as Record<string | number, unknown>)[key] as Record<string | number, unknown> | null;
  }
  if (node === null || typeof node !== "object") return copy;
  const last = path.at(-1)!;
  if (Array.isArray(node) && typeof last === "number") node.splice(last, 1);
  else delete (node as Record<string | number, unknown>)[last];
  return copy;
}

/** The value at `path`, or undefined. */
export function getAt(root: unknown, path: JsonPath): unknown {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node;
}
