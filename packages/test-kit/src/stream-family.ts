import { tmpdir } from "node:os";
import type { ProtocolClient } from "./protocol-client.ts";

/**
 * Children that keep streaming and each hold a grandchild: a pipe writer as
 * fast as it can go, a PTY writer, and a `cat` with a write in flight.
 */
export const FAMILY = [
  { name: "pipe", tty: false, pipeStdin: false, script: "sleep 1000 & while :; do echo pipe-output-line; done" },
  { name: "pty", tty: true, pipeStdin: false, script: "sleep 1000 & while :; do echo pty-output-line; sleep 0.01; done" },
  { name: "stdin", tty: false, pipeStdin: true, script: "sleep 1000 & cat" },
] as const;

/** Starts the family (ids prefixed) and resolves with the children's pids once all of them stream. */
export async function startFamily(client: ProtocolClient, env: Record<string, string>, prefix = ""): Promise<number[]> {
  const pids: number[] = [];
  for (const member of FAMILY) {
    const result = await client.call("process/start", {
      processId: `${prefix}${member.name}`,
      argv: ["sh", "-c", member.script],
      cwd: tmpdir(),
      env,
      tty: member.tty,
      pipeStdin: member.pipeStdin,
    });
    pids.push(result.pid!);
  }
  void client.request("process/write", { processId: `${prefix}stdin`, chunk: Buffer.alloc(1 << 20, 0x61).toString("base64") });
  await client.until(() => FAMILY.every((member) => client.process(`${prefix}${member.name}`).bytes > 0), 15_000, "family output");
  return pids;
}
