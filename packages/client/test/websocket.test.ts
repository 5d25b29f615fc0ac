import { afterAll } from "bun:test";
import { ExecServer, listenWebSocket } from "exec-server";
import { ExecServerClient, type ClientOptions } from "../src/index.ts";
import { behaviourSuite } from "./support/behaviour-suite.ts";

// One server for the file (a process manager acts for the whole test process);
// a listener per connection, so that one can be killed alone.
const server = new ExecServer();
afterAll(() => server.shutdown());

async function connect(options: ClientOptions = {}) {
  const listener = listenWebSocket(server, { hostname: "127.0.0.1", port: 0, allowedOrigins: [] });
  try {
    const client = await ExecServerClient.connectWebSocket({ ...options, url: listener.url, clientName: "websocket-suite" });
    return {
      client,
      // Closes every socket at once, as a dying server would.
      kill: () => listener.stop(),
      async close() {
        await client.close();
        await listener.stop();
      },
    };
  } catch (error) {
    await listener.stop();
    throw error;
  }
}

behaviourSuite({ name: "websocket", connect, connectKillable: connect });
