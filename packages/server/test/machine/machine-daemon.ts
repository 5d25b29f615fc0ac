import { mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ExecServerClient, ExecServerError } from "@x/exec-client";
import { afterAll, beforeAll, expect } from "bun:test";
import { startDaemon, type Daemon } from "@x/exec-test-kit/daemon.ts";

/** A scratch directory (real path: /tmp may be a link) removed by `dispose`. */
export function scratchDir(label: string): { path: string; dispose(): void } {
  const path = realpathSync(mkdtempSync(join(tmpdir(), `exec-server-${label}-`)));
  return { path, dispose: () => rmSync(path, { recursive: true, force: true }) };
}

/** A websocket daemon and an SDK client on it. */
export async function machineDaemon(args: string[]): Promise<{ daemon: Daemon; connect(): Promise<ExecServerClient> }> {
  const daemon = await startDaemon("websocket", args);
  return {
    daemon,
    connect: () => ExecServerClient.connectWebSocket({ url: daemon.url!, clientName: "machine-test" }),
  };
}

/**
 * For a test file: before all (after the hooks registered before this call), a daemon with
 * `args` and a client on it; after all, both closed and `scratch` removed. Read the fields
 * inside tests and hooks, not at load.
 */
export function machineForFile(scratch: { dispose(): void }, args: string[]): { readonly daemon: Daemon; readonly client: ExecServerClient } {
  const machine = {} as { daemon: Daemon; client: ExecServerClient };
  beforeAll(async () => {
    const started = await machineDaemon(args);
    machine.daemon = started.daemon;
    machine.client = await started.connect();
  });
  afterAll(async () => {
    await machine.client.close();
    await machine.daemon.stop();
    scratch.dispose();
  });
  return machine;
}

/** Awaits a rejection and checks its JSON-RPC code and, for OS errors, `data.code`. */
export async function expectRpcError(promise: Promise<unknown>, code: number, osCode?: string): Promise<ExecServerError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ExecServerError);
  const error = caught as ExecServerError;
  expect({ code: error.code, message: error.message }).toMatchObject({ code });
  if (osCode !== undefined) expect((error.data as { code?: string }).code).toBe(osCode);
  return error;
}
