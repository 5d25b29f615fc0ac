import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { daemonCommand } from "@x/exec-test-kit/daemon.ts";
import { dockerRecipe, kubernetesRecipes, type DeployRecipe } from "./support/deploy-recipes.ts";
import { ProtocolClient } from "@x/exec-test-kit/protocol-client.ts";
import { startParams } from "@x/exec-test-kit/start-params.ts";

// Images cannot be built here, so the daemon is started with exactly the arguments the
// Dockerfile and the manifests give it (parsed from them: the test follows any edit), with
// two substitutions: the token file is a temporary one and the port is 0 (a free one).
// Under `bun run test:binary` the daemon is the compiled dist/exec-server, as in the image.
const scratch = mkdtempSync(join(tmpdir(), "exec-server-deploy-"));
const token = `t-${crypto.randomUUID()}`;
const tokenFile = join(scratch, "token");
writeFileSync(tokenFile, `${token}\n`);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const recipes: DeployRecipe[] = [dockerRecipe(), ...kubernetesRecipes("sidecar.yaml"), ...kubernetesRecipes("daemonset.yaml")];

async function start(recipe: DeployRecipe) {
  const at = recipe.args.indexOf("--token-file");
  expect(at).toBeGreaterThanOrEqual(0); // a deploy without a token file would be refused off loopback
  const args = recipe.args.map((arg, i) => (i === at + 1 ? tokenFile : arg.replace(`:${recipe.port}`, ":0")));
  const proc = Bun.spawn([...daemonCommand(), ...args], { stdin: "ignore", stdout: "ignore", stderr: "pipe", env: { PATH: process.env.PATH, HOME: scratch } });
  const reader = proc.stderr.getReader();
  let stderr = "";
  let port: number | undefined;
  while (port === undefined) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`${recipe.name}: daemon exited: ${stderr}`);
    stderr += new TextDecoder().decode(value);
    const listening = /listening on ws:\/\/([\d.]+):(\d+)/.exec(stderr);
    if (listening) {
      expect(listening[1]).toBe(new URL(args[args.indexOf("--listen") + 1]!).hostname);
      port = Number(listening[2]);
    }
  }
  reader.releaseLock();
  return { proc, port };
}

describe.each(recipes.map((recipe) => [recipe.name, recipe] as const))("deploy recipe %s", (_name, recipe) => {
  test("the daemon starts with its arguments, answers the probe, and wants the token", async () => {
    const { proc, port } = await start(recipe);
    try {
      const probe = await fetch(`http://127.0.0.1:${port}${recipe.probePath}`);
      expect(probe.status).toBe(200);
      if (recipe.healthCheck) {
        const check = Bun.spawn(recipe.healthCheck.map((part) => part.replaceAll(String(recipe.port), String(port))), { stdout: "pipe", stderr: "pipe" });
        const checked = await check.exited;
        if (checked !== 0) console.error(await new Response(check.stderr).text(), await new Response(check.stdout).text());
        expect(checked).toBe(0);
      }
      await expect(ProtocolClient.overWebSocket(`ws://127.0.0.1:${port}`)).rejects.toThrow();
      const client = await ProtocolClient.overWebSocket(`ws://127.0.0.1:${port}`, { Authorization: `Bearer ${token}` });
      await client.handshake();
      await client.call("process/start", startParams("hello", ["echo", "deployed"]));
      await client.waitExited("hello");
      expect(client.output("hello").toString()).toBe("deployed\n");
      client.close();
    } finally {
      proc.kill("SIGTERM");
      await proc.exited;
    }
  });
});
