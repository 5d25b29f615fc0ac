/**
 * `bun run release:check`: installs exec-server the way a user would, from outside the
 * repository. Packs every public package (`bun pm pack`), publishes the tarballs to a
 * verdaccio on loopback, and in fresh projects that use only that registry (and a
 * temporary HOME, caches and TMPDIR) runs, as written in the READMEs:
 *   - the install lines of the README's "Install" section,
 *   - the client README's first example, and its `withExecServer` test file (`bun test`),
 *   - the first example of the server's and the protocol's READMEs,
 *   - `bunx exec-server --version`, and `run`, `attach` and `mcp` `--help` (commands/ is packed),
 *   - `bunx exec-server --listen ws://127.0.0.1:0 --web`: the page and its bundle (built
 *     at start from the package's web-page/ sources) are served,
 *   - the first example with only `@x/exec-client` installed: it must fail naming the fix.
 * Everything it starts is stopped and every temporary directory removed, also on failure;
 * only the verdaccio install is kept (under $TMPDIR/exec-server-release-cache) for next time.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { blockContaining, firstBlock } from "./release/markdown.ts";
import { packPublicPackages, type PackedPackage } from "./release/pack.ts";
import { run } from "./release/run.ts";
import { fetchWebPage } from "./release/web-page.ts";
import { installVerdaccio, publish, startRegistry, type LocalRegistry } from "./release/verdaccio.ts";

const ROOT = resolve(import.meta.dir, "..");
const README = readFileSync(join(ROOT, "README.md"), "utf8");
const CLIENT_README = readFileSync(join(ROOT, "packages", "client", "README.md"), "utf8");
const CACHE_DIR = join(tmpdir(), "exec-server-release-cache");

const work = mkdtempSync(join(tmpdir(), "exec-server-release-"));
let registry: LocalRegistry | undefined;
let cleaned: Promise<void> | undefined;
const cleanUp = () =>
  (cleaned ??= (async () => {
    await registry?.stop();
    rmSync(work, { recursive: true, force: true });
  })());
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => void cleanUp().finally(() => process.exit(130)));
}

const started = performance.now();
async function step<T>(title: string, body: () => Promise<T>): Promise<T> {
  const at = performance.now();
  const result = await body();
  console.log(`ok  ${title} (${((performance.now() - at) / 1000).toFixed(1)} s)`);
  return result;
}

/** A fresh project directory and the environment of a user whose registry is the local one. */
function userProject(name: string, registryUrl: string): { dir: string; env: Record<string, string | undefined> } {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), `${JSON.stringify({ name: `release-check-${name}`, private: true, type: "module" }, null, 2)}\n`);
  const home = join(work, "home");
  const tmp = join(work, "tmp");
  mkdirSync(home, { recursive: true });
  mkdirSync(tmp, { recursive: true });
  const env = {
    // Without the repository's node_modules/.bin, which `bun run` puts first: there `bunx
    // exec-server` would find the workspace's own bin instead of installing from the registry.
    PATH: (process.env.PATH ?? "")
      .split(":")
      .filter((dir) => !dir.startsWith(ROOT) && !dir.endsWith("/node_modules/.bin"))
      .join(":"),
    HOME: home,
    // bunx caches packages by name in TMPDIR; a fresh one never runs an older tarball.
    TMPDIR: tmp,
    BUN_CONFIG_REGISTRY: registryUrl,
    BUN_INSTALL_CACHE_DIR: join(work, "bun-cache"),
  };
  return { dir, env };
}

function commandLines(block: string): string[] {
  return block
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

async function main(): Promise<void> {
  const packed: PackedPackage[] = await step("pack the public packages (real versions, no tests, metadata)", async () => {
    const dir = join(work, "tarballs");
    mkdirSync(dir);
    return packPublicPackages(ROOT, dir);
  });
  const version = packed[0]!.version;
  const verdaccio = await step("install verdaccio (cached)", () => installVerdaccio(CACHE_DIR));
  const uplink = (await run(["npm", "config", "get", "registry"])).stdout.trim();
  registry = await step(`start verdaccio on loopback (uplink ${uplink})`, () =>
    startRegistry(verdaccio, join(work, "registry"), packed.map((p) => p.name), uplink),
  );
  const local = registry;
  await step(`publish ${packed.map((p) => `${p.name}@${p.version}`).join(", ")}`, async () => {
    for (const { tarball } of packed) await publish(local, tarball, join(work, "registry"));
  });

  const app = userProject("app", local.url);
  const installLines = commandLines(firstBlock(README, "sh", "Install", "README.md"));
  await step(`README install lines: ${installLines.join("; ")}`, async () => {
    for (const line of installLines) await run(["bash", "-c", line], { cwd: app.dir, env: app.env });
    for (const { name } of packed) {
      const installed = JSON.parse(readFileSync(join(app.dir, "node_modules", name, "package.json"), "utf8")) as { version: string };
      if (installed.version !== version) throw new Error(`${name} installed at ${installed.version}, expected ${version}`);
    }
  });

  const example = firstBlock(CLIENT_README, "ts", undefined, "packages/client/README.md");
  await step("client README's first example", async () => {
    writeFileSync(join(app.dir, "example.ts"), example);
    const { stdout } = await run(["bun", "example.ts"], { cwd: app.dir, env: app.env, timeoutMs: 60_000 });
    if (!/^0 Linux /.test(stdout)) throw new Error(`unexpected output of the example: ${JSON.stringify(stdout)}`);
  });

  const testFile = blockContaining(CLIENT_README, "ts", "withExecServer()", "packages/client/README.md");
  await step("client README's withExecServer test file under bun test", async () => {
    const name = /^\/\/ (\S+\.test\.ts)/.exec(testFile)?.[1] ?? "example.test.ts";
    writeFileSync(join(app.dir, name), testFile);
    const { stderr } = await run(["bun", "test", `./${name}`], { cwd: app.dir, env: app.env, timeoutMs: 60_000 });
    if (!/\b1 pass\b/.test(stderr) || !/\b0 fail\b/.test(stderr)) throw new Error(`bun test did not pass one test:\n${stderr}`);
  });

  await step("the server and protocol READMEs' examples", async () => {
    const checks = [
      { readme: "packages/server/README.md", expect: "no transport\n" },
      { readme: "packages/protocol/README.md", expect: "exec-server.v0 {" },
    ];
    for (const check of checks) {
      const code = firstBlock(readFileSync(join(ROOT, check.readme), "utf8"), "ts", undefined, check.readme);
      writeFileSync(join(app.dir, "readme-example.ts"), code);
      const { stdout } = await run(["bun", "readme-example.ts"], { cwd: app.dir, env: app.env, timeoutMs: 60_000 });
      if (!stdout.startsWith(check.expect)) throw new Error(`${check.readme}: unexpected output ${JSON.stringify(stdout)}`);
    }
  });

  const bare = userProject("bunx", local.url);
  await step("bunx exec-server --version (from the registry, in an empty directory)", async () => {
    const { stdout } = await run(["bunx", "exec-server", "--version"], { cwd: bare.dir, env: bare.env, timeoutMs: 60_000 });
    if (stdout.trim() !== `exec-server ${version}`) throw new Error(`bunx exec-server --version printed ${JSON.stringify(stdout)}`);
  });

  await step("bunx exec-server run|attach|mcp --help (the client commands are in the package)", async () => {
    for (const command of ["run", "attach", "mcp"]) {
      const { stdout } = await run(["bunx", "exec-server", command, "--help"], { cwd: bare.dir, env: bare.env, timeoutMs: 60_000 });
      if (!stdout.startsWith(`Usage: exec-server ${command} `)) throw new Error(`bunx exec-server ${command} --help printed ${JSON.stringify(stdout)}`);
    }
  });

  await step("bunx exec-server --listen ws://127.0.0.1:0 --web: GET / is the terminal page, with its bundle", async () => {
    const { page, bundleBytes } = await fetchWebPage(["bunx", "exec-server", "--listen", "ws://127.0.0.1:0", "--web"], {
      cwd: bare.dir,
      env: bare.env,
      timeoutMs: 60_000,
    });
    if (!page.includes("<title>exec-server</title>")) throw new Error(`GET / did not answer with the page:\n${page}`);
    // xterm.js and the SDK's browser build: far more than an empty bundle.
    if (bundleBytes < 100_000) throw new Error(`/web/app.js is only ${bundleBytes} bytes`);
  });

  const clientOnly = userProject("client-only", local.url);
  await step("only @x/exec-client installed: the first example fails naming `bun add exec-server`", async () => {
    await run(["bun", "add", "@x/exec-client"], { cwd: clientOnly.dir, env: clientOnly.env });
    writeFileSync(join(clientOnly.dir, "example.ts"), example);
    const { stdout, stderr } = await run(["bun", "example.ts"], { cwd: clientOnly.dir, env: clientOnly.env, expectExit: null, timeoutMs: 60_000 });
    if (!`${stdout}${stderr}`.includes("bun add exec-server")) throw new Error(`the error does not say what to install:\n${stdout}${stderr}`);
  });
}

let failed = false;
try {
  await main();
} catch (error) {
  failed = true;
  console.error(`FAIL ${(error as Error).message}`);
  const log = registry?.log();
  if (log) console.error(`--- verdaccio log\n${log}`);
} finally {
  await cleanUp();
}
console.log(`release check ${failed ? "FAILED" : "passed"} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
process.exit(failed ? 1 : 0);
