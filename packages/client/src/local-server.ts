import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Transport } from "@x/exec-protocol";
import { ClientErrorCode, createError } from "./errors.ts";

/** The package this client can start locally: an optional peer dependency. */
export const SERVER_PACKAGE = "exec-server";

/** What the client uses of the `exec-server` package, typed here so the client builds without it. */
export interface ServerModule {
  createInProcessTransport(options?: { readonly config?: object; readonly log?: object }): Transport;
}

function notInstalled(name: string, cause: unknown): Error {
  return createError(ClientErrorCode.SpawnFailed, `the ${name} package is not installed: run \`bun add ${name}\``, { cause });
}

function isMissing(error: unknown, name: string): boolean {
  const text = error instanceof Error ? error.message : String(error);
  return text.includes(`'${name}'`) || text.includes(`"${name}"`) || text.includes(`${name}/package.json`);
}

/** Imports the server package; the error names the install command when it is absent. */
export async function importServer(name = SERVER_PACKAGE): Promise<ServerModule> {
  try {
    return (await import(name)) as ServerModule;
  } catch (error) {
    if (isMissing(error, name)) throw notInstalled(name, error);
    throw error;
  }
}

/** The path of the installed server package's `exec-server` bin. */
export function serverBinPath(name = SERVER_PACKAGE): string {
  let manifestPath: string;
  try {
    manifestPath = Bun.resolveSync(`${name}/package.json`, import.meta.dir);
  } catch (error) {
    throw notInstalled(name, error);
  }
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { bin?: string | Record<string, string> };
  const bin = typeof manifest.bin === "string" ? manifest.bin : manifest.bin?.["exec-server"];
  if (bin === undefined) throw new Error(`${manifestPath} declares no exec-server bin`);
  return join(dirname(manifestPath), bin);
}
