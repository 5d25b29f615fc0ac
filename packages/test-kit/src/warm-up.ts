import { tmpdir } from "node:os";
import { ProtocolClient } from "./protocol-client.ts";
import { openWebSocketWire } from "./wire.ts";

/**
 * One connection that runs a pipe and a PTY child to the end, sets and drops
 * one fs/watch and makes one http/request (the runtime keeps the descriptors
 * of both once made), so
 * whatever the daemon opens lazily on first use is in an fd baseline taken afterwards.
 * `cwd`: where the children run (inside the daemon's --fs-root when it has one).
 */
export async function warmUp(
  url: string,
  env: Record<string, string> = { PATH: "/usr/bin:/bin" },
  cwd: string = tmpdir(),
): Promise<void> {
  const wire = await openWebSocketWire(url);
  const client = new ProtocolClient(wire);
  await client.handshake("warm-up");
  for (const tty of [false, true]) {
    const processId = `warm-${tty}`;
    await client.call("process/start", { processId, argv: ["sh", "-c", "echo warm"], cwd, env, tty });
    await client.waitClosed(processId, 10_000);
  }
  await client.call("fs/watch", { watchId: "warm", path: cwd });
  await client.call("fs/unwatch", { watchId: "warm" });
  // fetch starts its HTTP client thread (an epoll and an eventfd) on first use. Port 9: refused.
  await client.call("http/request", { method: "GET", url: "http://127.0.0.1:9/", timeoutMs: 2000 }).catch(() => {});
  wire.close();
  await wire.closed;
  await Bun.sleep(200);
}
