// Fails when a file imports itself through a chain of other files (type-only
// imports count: a type circle is still a circle for a reader), or when a
// package imports one it must not see (the daemon never sees the client SDK).
// Uses Bun's own transpiler to find imports, so it sees what Bun will load.
import { readdirSync, realpathSync } from "node:fs";
import { dirname, join, relative } from "node:path";

const root = join(import.meta.dir, "..");
const roots = ["packages", "scripts", "bench"];

/** Import specifiers a file in `from` (repo-relative) may not use. */
const forbidden: ReadonlyArray<{ readonly from: string; readonly specifier: string; readonly why: string }> = [
  { from: "packages/server/src/", specifier: "@x/exec-client", why: "the daemon depends on @x/exec-protocol only" },
  { from: "packages/protocol/", specifier: "@x/exec-client", why: "the protocol is at the bottom of the graph" },
  { from: "packages/protocol/", specifier: "exec-server", why: "the protocol is at the bottom of the graph" },
  { from: "packages/client/src/", specifier: "exec-server", why: "the client reaches exec-server only by a dynamic import of its optional peer" },
];

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) sourceFiles(path, out);
    else if (/\.(ts|tsx|mts)$/.test(entry.name) && !entry.name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

// `import type` and inline `type` specifiers are dropped by the transpiler; spelled as plain imports they are kept.
function withTypeImportsAsValues(source: string): string {
  return source
    .replace(/^#!.*/, "")
    .replace(/\b(import|export)\s+type\s+(?=[{*])/g, "$1 ")
    .replace(/\bimport\s+type\s+(?=[\w$]+\s+from\b)/g, "import ")
    .replace(/([{,]\s*)type\s+(?=[\w$]+\s*(?:[,}]|\bas\b))/g, "$1");
}

const transpilers = {
  ts: new Bun.Transpiler({ loader: "ts", trimUnusedImports: false }),
  tsx: new Bun.Transpiler({ loader: "tsx", trimUnusedImports: false }),
};
const files = roots.flatMap((dir) => sourceFiles(join(root, dir)));
const graph = new Map<string, string[]>();
const problems: string[] = [];

for (const file of files) {
  const rel = relative(root, file);
  const source = await Bun.file(file).text();
  const edges: string[] = [];
  // Dynamic imports are a deliberate way out of the static graph (an optional peer): not edges.
  for (const { path, kind } of transpilers[file.endsWith("x") ? "tsx" : "ts"].scanImports(withTypeImportsAsValues(source))) {
    for (const rule of forbidden) {
      if (kind !== "dynamic-import" && rel.startsWith(rule.from) && (path === rule.specifier || path.startsWith(`${rule.specifier}/`))) {
        problems.push(`${rel} imports ${path}: ${rule.why}`);
      }
    }
    if (kind === "dynamic-import") continue;
    let resolved: string;
    try {
      resolved = realpathSync(Bun.resolveSync(path, dirname(file)));
    } catch {
      continue; // a built-in or a package outside the repo
    }
    if (resolved.startsWith(root) && !resolved.includes("/node_modules/")) edges.push(resolved);
  }
  graph.set(file, edges);
}

// Tarjan's strongly connected components: every component with more than one file is a cycle.
let index = 0;
const indexOf = new Map<string, number>();
const low = new Map<string, number>();
const stack: string[] = [];
const onStack = new Set<string>();
const cycles: string[][] = [];
function visit(node: string): void {
  indexOf.set(node, index);
  low.set(node, index++);
  stack.push(node);
  onStack.add(node);
  for (const next of graph.get(node) ?? []) {
    if (!indexOf.has(next)) {
      visit(next);
      low.set(node, Math.min(low.get(node)!, low.get(next)!));
    } else if (onStack.has(next)) {
      low.set(node, Math.min(low.get(node)!, indexOf.get(next)!));
    }
  }
  if (low.get(node) !== indexOf.get(node)) return;
  const component: string[] = [];
  let member: string;
  do {
    member = stack.pop()!;
    onStack.delete(member);
    component.push(relative(root, member));
  } while (member !== node);
  if (component.length > 1 || (graph.get(node) ?? []).includes(node)) cycles.push(component.sort());
}
for (const node of graph.keys()) if (!indexOf.has(node)) visit(node);

for (const cycle of cycles) problems.push(`import cycle: ${cycle.join(" <-> ")}`);
if (problems.length > 0) {
  for (const problem of problems) console.error(problem);
  process.exit(1);
}
console.error(`imports: ${files.length} files, no cycle, no forbidden import`);
