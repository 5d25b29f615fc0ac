import { spawnLocalExecServer, type ClientOptions } from "../src/index.ts";
import { behaviourSuite } from "./support/behaviour-suite.ts";

async function connect(options: ClientOptions = {}) {
  const server = await spawnLocalExecServer({ ...options, clientName: "stdio-suite" });
  return {
    client: server.client,
    close: () => server.close(),
    async kill() {
      process.kill(server.pid, "SIGKILL");
      await server.exited;
    },
  };
}

behaviourSuite({ name: "stdio", connect, connectKillable: connect });
