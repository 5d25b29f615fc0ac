#!/usr/bin/env bun
import { main } from "../src/cli/main.ts";

// `exec-server [options]` is the daemon; `exec-server run|attach|mcp` are clients of one.
const argv = process.argv.slice(2);
const [command, ...rest] = argv;
if (command === "run" || command === "attach") {
  const client = command === "run" ? await import("../commands/run.ts") : await import("../commands/attach.ts");
  // Exit now: stdin and timers a client leaves behind must not keep the command alive.
  process.exit(await client.main(rest));
}
if (command === "mcp") {
  const { runMcp } = await import("../commands/mcp/run-mcp.ts");
  process.exit(await runMcp(rest));
}
process.exitCode = await main(argv);
