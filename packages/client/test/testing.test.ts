import { afterAll, expect, test } from "bun:test";
import { withExecServer } from "../src/testing/index.ts";
import { isAlive } from "./support/processes.ts";

const server = withExecServer();
const pids: number[] = [];

test("withExecServer gives each test file a live client", async () => {
  const result = await server.client.run(["echo", "from a fixture"]);
  expect(result.stdout).toBe("from a fixture\n");
  const sleeper = await server.client.start({ argv: ["sleep", "30"] });
  pids.push(server.server.pid, sleeper.pid!);
  expect(pids.every(isAlive)).toBe(true);
});

// Registered after withExecServer's own afterAll, so it runs after the teardown.
afterAll(() => {
  expect(pids).toHaveLength(2);
  expect(pids.filter(isAlive)).toEqual([]);
  expect(() => server.client).toThrow("withExecServer");
});
