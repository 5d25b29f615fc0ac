/**
 * `bun run build:binary`: the daemon as one executable, dist/exec-server
 * (Bun runtime included, nothing to install on the target but libc).
 *
 * The ffi PTY backend's reader runs in a Worker, which `--compile` embeds only
 * as an entry point of its own. Entry points are named `[name].[ext]` so the
 * worker lands beside the executable's main module as `pty-reader-worker.js`,
 * where pty-reader.ts looks for it in a compiled build.
 */
import { Glob } from "bun";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

const root = resolve(import.meta.dir, "..");
const serverDir = join(root, "packages", "server");

/** The reader worker, wherever the process folder keeps it. */
function readerWorkerEntry(): string {
  const found = [...new Glob("src/**/pty-reader-worker.ts").scanSync({ cwd: serverDir, absolute: true })];
  if (found.length !== 1) throw new Error(`expected one pty-reader-worker.ts under ${serverDir}/src, found ${found.length}`);
  return found[0]!;
}

export async function buildBinary(outfile: string): Promise<void> {
  mkdirSync(resolve(outfile, ".."), { recursive: true });
  const result = await Bun.build({
    entrypoints: [join(serverDir, "bin", "exec-server.ts"), readerWorkerEntry()],
    compile: { outfile },
    naming: "[name].[ext]",
    minify: false,
  });
  if (!result.success) {
    for (const log of result.logs) console.error(log);
    throw new Error("bun build --compile failed");
  }
}

if (import.meta.main) {
  const { values } = parseArgs({ args: Bun.argv.slice(2), options: { outfile: { type: "string" } } });
  const outfile = resolve(values.outfile ?? join(root, "dist", "exec-server"));
  const started = performance.now();
  await buildBinary(outfile);
  const version = Bun.spawnSync([outfile, "--version"]).stdout.toString().trim();
  console.log(`${outfile}: ${version} (${Math.round(performance.now() - started)} ms)`);
}
