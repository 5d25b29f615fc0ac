import { afterAll, describe, expect, test } from "bun:test";
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

describe("binary output frames", () => {
  test("used by default when the server offers them; the same bytes arrive either way", async () => {
    const listener = listenWebSocket(server, { hostname: "127.0.0.1", port: 0, allowedOrigins: [] });
    try {
      // Every byte value, and more than one chunk.
      const script = "i=0; while [ $i -lt 64 ]; do printf '%s' \"$(seq 0 255 | awk '{printf \"%c\", $1}')\" ; i=$((i+1)); done";
      const outputs: Buffer[] = [];
      for (const binaryOutput of [true, false]) {
        await using client = await ExecServerClient.connectWebSocket({ url: listener.url, binaryOutput });
        expect(client.binaryOutput).toBe(binaryOutput);
        const { stdoutBytes, exitCode } = await client.run(["bash", "--noprofile", "--norc", "-c", script], {
          env: { PATH: "/usr/bin:/bin", LC_ALL: "C" },
        });
        expect(exitCode).toBe(0);
        outputs.push(Buffer.from(stdoutBytes));
      }
      expect(outputs[0]!.byteLength).toBeGreaterThan(10_000);
      expect(outputs[0]!.equals(outputs[1]!)).toBe(true);
    } finally {
      await listener.stop();
    }
  });
});
