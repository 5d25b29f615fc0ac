#!/usr/bin/env bun
import { main } from "../src/cli/main.ts";

// `exec-server [options]` is the daemon; `exec-server run|attach` are clients of one.
const [command, ...rest] = process.argv.slice(2);
if (command === "run" || command === "attach") {
  const client = command === "run" ? await import("../commands/run.ts") : await import("../commands/attach.ts");
  // Exit now: stdin and timers a client leaves behind must not keep the command alive.
  process.exit(await client.main(rest));
}
process.exitCode = await main(process.argv.slice(2));
