import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The repository root, where the Dockerfile and deploy/ live. */
export const REPO_ROOT = join(import.meta.dir, "..", "..", "..", "..");

/** What a deploy recipe runs: the daemon's arguments and how readiness is probed. */
export interface DeployRecipe {
  readonly name: string;
  readonly args: string[];
  readonly port: number;
  readonly probePath: string;
  /** The Dockerfile's HEALTHCHECK command, run as written (port substituted). */
  readonly healthCheck?: string[];
}

/** `INSTR [json array]` of a Dockerfile, continuation lines joined. */
function instructions(dockerfile: string): Array<{ keyword: string; rest: string }> {
  const joined = dockerfile.replace(/\\\n/g, " ");
  return joined
    .split("\n")
    .filter((line) => /^[A-Z]+\s/.test(line))
    .map((line) => {
      const [keyword, ...rest] = line.split(/\s+/);
      return { keyword: keyword!, rest: rest.join(" ") };
    });
}

function jsonArrayAfter(text: string, prefix: RegExp): string[] {
  const match = prefix.exec(text);
  if (!match) throw new Error(`no ${prefix} in ${JSON.stringify(text)}`);
  return JSON.parse(text.slice(match.index + match[0].length).trim()) as string[];
}

/** The last stage's CMD (the daemon's arguments) and HEALTHCHECK of the Dockerfile. */
export function dockerRecipe(path = join(REPO_ROOT, "Dockerfile")): DeployRecipe {
  const all = instructions(readFileSync(path, "utf8"));
  const cmd = all.findLast((i) => i.keyword === "CMD");
  const health = all.findLast((i) => i.keyword === "HEALTHCHECK");
  const expose = all.findLast((i) => i.keyword === "EXPOSE");
  if (!cmd || !health || !expose) throw new Error(`${path}: CMD, HEALTHCHECK and EXPOSE expected`);
  const healthCheck = jsonArrayAfter(health.rest, /(^|\s)CMD\s/);
  const probePath = /GET (\/\S*)/.exec(healthCheck.join(" "))?.[1];
  if (!probePath) throw new Error(`${path}: the HEALTHCHECK sends no GET`);
  return { name: "Dockerfile", args: JSON.parse(cmd.rest) as string[], port: Number(expose.rest.trim()), probePath, healthCheck };
}

interface Container {
  name: string;
  args?: string[];
  readinessProbe?: { httpGet?: { path: string; port: number } };
}

/** The exec-server container of every workload in a Kubernetes manifest. */
export function kubernetesRecipes(file: string): DeployRecipe[] {
  const path = join(REPO_ROOT, "deploy", "k8s", file);
  const docs = [Bun.YAML.parse(readFileSync(path, "utf8"))].flat() as Array<Record<string, any>>;
  const recipes: DeployRecipe[] = [];
  for (const doc of docs) {
    const containers: Container[] = doc?.spec?.template?.spec?.containers ?? [];
    for (const container of containers.filter((c) => c.name === "exec-server")) {
      const probe = container.readinessProbe?.httpGet;
      if (!container.args || !probe) throw new Error(`${path}: exec-server container without args or readinessProbe.httpGet`);
      recipes.push({ name: `${file} ${doc.kind}`, args: container.args, port: probe.port, probePath: probe.path });
    }
  }
  if (recipes.length === 0) throw new Error(`${path}: no exec-server container`);
  return recipes;
}
