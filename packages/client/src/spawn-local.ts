import { ExecServerClient, type ClientOptions } from "./client.ts";
import { createError, ClientErrorCode } from "./errors.ts";
import { serverBinPath } from "./local-server.ts";
import { settledWithin } from "./timers.ts";

export interface SpawnLocalOptions extends ClientOptions {
  /** The program to run. Default: this Bun running the `exec-server` package's bin. */
  readonly command?: string;
  /** Its arguments. Default: the bin path when `command` is not given, else none. */
  readonly args?: readonly string[];
  /** The server process's environment (it passes none of it on to children). Default: `process.env`. */
  readonly env?: Record<string, string | undefined>;
  /** Where the server's log lines go. Default "inherit". */
  readonly stderr?: "inherit" | "ignore";
}

/** A child `exec-server` speaking stdio, and a client connected to it. */
export interface SpawnedExecServer extends AsyncDisposable {
  readonly client: ExecServerClient;
  readonly pid: number;
  /** Resolves with the server's exit code once it has exited. */
  readonly exited: Promise<number>;
  /**
   * Closes the client (the server then kills its processes and exits), and
   * makes sure the child is gone: SIGTERM, then SIGKILL, if it lingers.
   */
  close(): Promise<void>;
}

const EXIT_WAIT_MS = 3000;

/** Runs `exec-server` as a child over stdio and connects to it. */
export async function spawnLocalExecServer(options: SpawnLocalOptions = {}): Promise<SpawnedExecServer> {
  let argv = [options.command ?? "exec-server"];
  let child: Bun.Subprocess<"pipe", "pipe", "inherit" | "ignore">;
  try {
    argv =
      options.command === undefined
        ? [process.execPath, ...(options.args ?? [serverBinPath()])]
        : [options.command, ...(options.args ?? [])];
    child = Bun.spawn(argv, {
      stdin: "pipe",
      stdout: "pipe",
      stderr: options.stderr ?? "inherit",
      env: options.env ?? process.env,
    });
  } catch (error) {
    throw createError(ClientErrorCode.SpawnFailed, `cannot start ${JSON.stringify(argv[0])}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const exited = child.exited;
  let client: ExecServerClient;
  try {
    client = await ExecServerClient.connectStdio({ ...options, readable: child.stdout, writable: child.stdin });
  } catch (error) {
    await stop(child);
    throw error;
  }
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await client.close();
      await stop(child);
    })());
  return { client, pid: child.pid, exited, close, [Symbol.asyncDispose]: close };
}

/** The server exits by itself once its stdin ends; this only insists when it does not. */
async function stop(child: Bun.Subprocess<"pipe", "pipe", "inherit" | "ignore">): Promise<void> {
  try {
    await child.stdin.end(); // already ended when the client closed; harmless then
  } catch {
    // the pipe is gone already
  }
  if (await settledWithin(child.exited, EXIT_WAIT_MS)) return;
  child.kill("SIGTERM"); // the server kills its children on SIGTERM
  if (await settledWithin(child.exited, EXIT_WAIT_MS)) return;
  child.kill("SIGKILL");
  await child.exited;
}
