import { tmpdir } from "node:os";
import { ProtocolClient } from "./protocol-client.ts";
import { openWebSocketWire } from "./wire.ts";

/**
 * One connection that runs a pipe and a PTY child to the end, so whatever the
 * daemon opens lazily on first use is in an fd baseline taken afterwards.
 */
export async function warmUp(url: string, env: Record<string, string> = { PATH: "/usr/bin:/bin" }): Promise<void> {
  const wire = await openWebSocketWire(url);
  const client = new ProtocolClient(wire);
  await client.handshake("warm-up");
  for (const tty of [false, true]) {
    const processId = `warm-${tty}`;
    await client.call("process/start", { processId, argv: ["sh", "-c", "echo warm"], cwd: tmpdir(), env, tty });
    await client.waitClosed(processId, 10_000);
  }
  wire.close();
  await wire.closed;
  await Bun.sleep(200);
}
