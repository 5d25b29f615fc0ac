import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "./run.ts";

export interface PackedPackage {
  readonly name: string;
  readonly version: string;
  readonly tarball: string;
}

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  [field: string]: unknown;
}

const DEPENDENCY_FIELDS = ["dependencies", "peerDependencies", "optionalDependencies", "devDependencies"];

/** Every non-private package under packages/, as `bun pm pack` makes its tarball. */
export async function packPublicPackages(root: string, destination: string): Promise<PackedPackage[]> {
  const packed: PackedPackage[] = [];
  for (const dir of readdirSync(join(root, "packages")).sort()) {
    const manifestPath = join(root, "packages", dir, "package.json");
    let manifest: Manifest;
    try {
      manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as Manifest;
    } catch {
      continue; // not a package
    }
    if (manifest.private) continue;
    const before = new Set(readdirSync(destination));
    await run(["bun", "pm", "pack", "--destination", destination], { cwd: join(root, "packages", dir) });
    const made = readdirSync(destination).filter((file) => file.endsWith(".tgz") && !before.has(file));
    if (made.length !== 1) throw new Error(`bun pm pack in packages/${dir} made ${made.length} tarballs`);
    const tarball = join(destination, made[0]!);
    await checkTarball(tarball, manifest);
    packed.push({ name: manifest.name, version: manifest.version, tarball });
  }
  const versions = new Set(packed.map((p) => p.version));
  if (versions.size !== 1) throw new Error(`versions are not in lockstep: ${packed.map((p) => `${p.name}@${p.version}`).join(", ")}`);
  return packed;
}

/** What a user would get: real versions instead of workspace ranges, the metadata, no tests. */
async function checkTarball(tarball: string, source: Manifest): Promise<void> {
  const files = (await run(["tar", "-tzf", tarball])).stdout.split("\n").filter(Boolean);
  const tests = files.filter((file) => /\.test\.[cm]?[jt]sx?$|(^|\/)test\//.test(file));
  if (tests.length > 0) throw new Error(`${tarball} carries test files: ${tests.join(", ")}`);
  for (const required of ["package/package.json", "package/README.md", "package/LICENSE"]) {
    if (!files.includes(required)) throw new Error(`${tarball} lacks ${required}`);
  }
  const manifest = JSON.parse((await run(["tar", "-xzOf", tarball, "package/package.json"])).stdout) as Manifest;
  for (const field of DEPENDENCY_FIELDS) {
    for (const [dependency, range] of Object.entries((manifest[field] ?? {}) as Record<string, string>)) {
      if (range.startsWith("workspace:")) throw new Error(`${tarball}: ${field}.${dependency} is still ${range}`);
    }
  }
  for (const field of ["description", "license", "repository", "keywords", "engines", "files"]) {
    if (manifest[field] === undefined) throw new Error(`${tarball}: package.json has no ${field}`);
  }
  if (manifest.name !== source.name || manifest.version !== source.version) throw new Error(`${tarball}: name or version differs from the source`);
}
