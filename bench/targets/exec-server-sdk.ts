import { ExecServerClient } from "@x/exec-client";
import { startDaemon } from "./exec-server.ts";
import { Unsupported, childEnv, type Target, type TargetSpec } from "./target.ts";

/**
 * exec-server through the SDK (`@x/exec-client` over a websocket, binary output frames unless
 * the spec says otherwise): `start`, then `for await` over `output()`. Measures what an SDK user
 * gets, against the raw bench client of the same daemon.
 */
export async function execServerSdkTarget(spec: TargetSpec): Promise<Target> {
  const server = await startDaemon("websocket", spec);
  let client: ExecServerClient;
  try {
    client = await ExecServerClient.connectWebSocket({ url: server.url!, clientName: "bench-sdk", binaryOutput: spec.binaryOutput ?? true });
  } catch (error) {
    await server.stop("SIGTERM", 3_000);
    throw error;
  }
  return {
    serverPid: server.pid,
    async run() {
      const process = await client.start({ argv: spec.command, env: childEnv(), cwd: "/tmp", tty: spec.tty });
      let bytes = 0;
      for await (const chunk of process.output()) bytes += chunk.data.byteLength;
      await process.exited;
      return bytes;
    },
    interactive() {
      throw new Unsupported("the SDK row measures throughput only");
    },
    runThrottled() {
      throw new Unsupported("the SDK row measures throughput only");
    },
    async close() {
      await client.close();
      await server.stop("SIGTERM", 3_000);
    },
  };
}
