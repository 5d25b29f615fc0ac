import { join } from "node:path";

export const SERVER_BIN = join(import.meta.dir, "..", "..", "bin", "exec-server.ts");

export type TransportKind = "stdio" | "websocket";

export interface Daemon {
  readonly proc: Bun.Subprocess<"pipe", "pipe", "pipe">;
  readonly url?: string;
  /** Everything the daemon printed on stderr so far. */
  stderr(): string;
  /** Sends SIGTERM (if still running) and waits for exit. */
  stop(): Promise<number>;
}

/** Starts the real daemon binary. For websocket, waits for its "listening on" line. */
export async function startDaemon(
  kind: TransportKind,
  extraArgs: string[] = [],
  env?: Record<string, string | undefined>,
): Promise<Daemon> {
  const args = kind === "websocket" ? ["--listen", "ws://127.0.0.1:0", ...extraArgs] : extraArgs;
  const proc = Bun.spawn(["bun", SERVER_BIN, ...args], { stdin: "pipe", stdout: "pipe", stderr: "pipe", env });
  let stderrText = "";
  const stderrDone = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of proc.stderr) stderrText += decoder.decode(chunk, { stream: true });
  })();
  let stopping = false;
  // A websocket daemon that dies on its own is a bug worth seeing in the test output
  // (a stdio daemon ends by design when its input does).
  void proc.exited.then(async (code) => {
    await stderrDone;
    if (!stopping && (kind === "websocket" || code !== 0)) console.error(`exec-server daemon exited unexpectedly (code ${code}, ${proc.signalCode}):\n${stderrText}`);
  });
  let url: string | undefined;
  if (kind === "websocket") {
    const deadline = Date.now() + 10_000;
    while (!(url = /listening on (ws:\/\/\S+)/.exec(stderrText)?.[1])) {
      if (Date.now() > deadline || proc.exitCode !== null) {
        proc.kill("SIGKILL");
        throw new Error(`daemon did not start: ${stderrText}`);
      }
      await Bun.sleep(10);
    }
  }
  return {
    proc,
    url,
    stderr: () => stderrText,
    async stop() {
      stopping = true;
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
      const code = await proc.exited;
      await stderrDone;
      return code;
    },
  };
}
