import { mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ExecServerClient, ExecServerError } from "@x/exec-client";
import { expect } from "bun:test";
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
