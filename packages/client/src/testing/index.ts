import { afterAll, beforeAll } from "bun:test";
import type { ExecServerClient } from "../client.ts";
import { spawnLocalExecServer, type SpawnedExecServer, type SpawnLocalOptions } from "../spawn-local.ts";

/** What `withExecServer` returns: read `client` inside tests, not at the top of the file. */
export interface ExecServerFixture {
  readonly client: ExecServerClient;
  readonly server: SpawnedExecServer;
}

/**
 * Starts a real exec-server child for the current test file (in `beforeAll`)
 * and closes it in `afterAll`: its processes are killed and the child is gone.
 */
export function withExecServer(options: SpawnLocalOptions = {}): ExecServerFixture {
  let server: SpawnedExecServer | undefined;
  beforeAll(async () => {
    server = await spawnLocalExecServer({ clientName: "withExecServer", ...options });
  });
  afterAll(async () => {
    await server?.close();
    server = undefined;
  });
  const current = () => {
    if (!server) throw new Error("withExecServer: the server exists only while the file's tests run");
    return server;
  };
  return {
    get client() {
      return current().client;
    },
    get server() {
      return current();
    },
  };
}
