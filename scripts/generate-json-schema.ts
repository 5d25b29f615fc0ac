// Writes packages/protocol/schema/exec-server.v0.schema.json from the TypeBox schemas.
// `--check` fails when the committed file is stale (used by CI).
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { protocolJsonSchema } from "@x/exec-protocol";

const target = join(import.meta.dir, "..", "packages", "protocol", "schema", "exec-server.v0.schema.json");
const text = `${JSON.stringify(protocolJsonSchema(), null, 2)}\n`;

if (process.argv.includes("--check")) {
  const current = await Bun.file(target).text().catch(() => "");
  if (current !== text) {
    console.error(`${target} is stale: run \`bun run schema\``);
    process.exit(1);
  }
  console.error("protocol JSON Schema is up to date");
} else {
  mkdirSync(dirname(target), { recursive: true });
  await Bun.write(target, text);
  console.error(`wrote ${target}`);
}
