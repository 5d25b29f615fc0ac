import { connectInProcess, type ClientOptions } from "../src/index.ts";
import { behaviourSuite } from "./support/behaviour-suite.ts";

async function connect(options: ClientOptions = {}) {
  const client = await connectInProcess({ ...options, clientName: "in-process-suite" });
  return { client, close: () => client.close() };
}

// No connectKillable: there is no separate server to kill in-process.
behaviourSuite({ name: "in-process", connect });
