import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "./run.ts";

export const VERDACCIO_VERSION = "6.8.0";

/**
 * Installs verdaccio with npm into `cacheDir` once (later runs reuse it). 6.8.0 is the
 * last line that runs on Node 20; its node-fetch must be held at 2.7.0.
 */
export async function installVerdaccio(cacheDir: string): Promise<string> {
  const dir = join(cacheDir, `verdaccio-${VERDACCIO_VERSION}`);
  const bin = join(dir, "node_modules", "verdaccio", "bin", "verdaccio");
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: "release-check-registry", private: true, dependencies: { verdaccio: VERDACCIO_VERSION }, overrides: { "node-fetch": "2.7.0" } }, null, 2),
  );
  await run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", "--cache", join(cacheDir, "npm-cache")], { cwd: dir, timeoutMs: 300_000 });
  if (!existsSync(bin)) throw new Error(`npm install did not provide ${bin}`);
  return bin;
}

export interface LocalRegistry {
  /** e.g. http://127.0.0.1:4873/ */
  readonly url: string;
  readonly log: () => string;
  stop(): Promise<void>;
}

/** A free loopback port (the kernel's pick, released again at once). */
function freePort(): number {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const { port } = listener;
  listener.stop(true);
  return port;
}

/**
 * Starts verdaccio on loopback: our package names are publishable by anyone and
 * never looked up upstream; every other package comes through the uplink.
 */
export async function startRegistry(bin: string, workDir: string, names: readonly string[], uplink: string): Promise<LocalRegistry> {
  mkdirSync(workDir, { recursive: true });
  const ours = names.map((name) => `  ${JSON.stringify(name)}:\n    access: $all\n    publish: $all\n`).join("");
  const config = join(workDir, "config.yaml");
  writeFileSync(
    config,
    `storage: ${JSON.stringify(join(workDir, "storage"))}
auth:
  htpasswd:
    file: ${JSON.stringify(join(workDir, "htpasswd"))}
    max_users: -1
uplinks:
  upstream:
    url: ${JSON.stringify(uplink)}
packages:
${ours}  "**":
    access: $all
    proxy: upstream
log: { type: stdout, format: pretty, level: warn }
`,
  );
  const port = freePort();
  const logPath = join(workDir, "verdaccio.log");
  const logFd = openSync(logPath, "w");
  const proc = Bun.spawn(["node", bin, "--config", config, "--listen", `127.0.0.1:${port}`], {
    cwd: workDir,
    env: { ...process.env, HOME: workDir },
    stdin: "ignore",
    stdout: logFd,
    stderr: logFd,
  });
  const url = `http://127.0.0.1:${port}/`;
  const log = () => readFileSync(logPath, "utf8");
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), 3000);
    await proc.exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`verdaccio exited with ${proc.exitCode}:\n${log()}`);
    const ping = await fetch(`${url}-/ping`).catch(() => undefined);
    if (ping?.ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`verdaccio did not answer on ${url} within 30 s:\n${log()}`);
    }
    await Bun.sleep(200);
  }
  return { url, log, stop };
}

/** `npm publish` of a tarball to the local registry, with a token only this call sees. */
export async function publish(registry: LocalRegistry, tarball: string, workDir: string): Promise<void> {
  const npmrc = join(workDir, "publish.npmrc");
  const host = registry.url.replace(/^http:/, "");
  writeFileSync(npmrc, `registry=${registry.url}\n${host}:_authToken=release-check\n`);
  await run(["npm", "publish", tarball, "--registry", registry.url, "--userconfig", npmrc, "--access", "public", "--tag", "latest"], {
    cwd: workDir,
    env: { ...process.env, HOME: workDir, npm_config_cache: join(workDir, "npm-cache") },
  });
}
