#!/usr/bin/env bun
import { main } from "../src/cli/main.ts";

const argv = process.argv.slice(2);
if (argv[0] === "mcp") {
  const { runMcp } = await import("../commands/mcp/run-mcp.ts");
  process.exit(await runMcp(argv.slice(1)));
}
process.exitCode = await main(argv);
