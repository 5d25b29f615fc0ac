import { afterAll, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { DaemonProcess } from "../../../../scripts/lib/daemon.ts";
import { killMarked, waitMarkedGone, waitReaped } from "../../../../scripts/lib/leak-check.ts";
import { newMarker } from "../../../../scripts/lib/marker.ts";
import { describeProc, procsWithEnv, readProc } from "../../../../scripts/lib/proc-tree.ts";
import { ProtocolClient } from "../../../../scripts/lib/protocol-client.ts";
import { startFamily } from "../../../../scripts/lib/stream-family.ts";
import { openWebSocketWire, stdioWire } from "../../../../scripts/lib/wire.ts";
import { within } from "../../../../scripts/lib/within.ts";
import { LeakGuard } from "../support/leak-guard.ts";

// The daemon told to stop (SIGTERM) while its children stream: it kills every
// tree, reaps what it must, removes what it created, and exits 0.

const guard = new LeakGuard();
const markers: string[] = [];

afterAll(async () => {
  for (const entry of markers) killMarked(entry);
  await guard.assertClean();
});

for (const transport of ["websocket", "stdio"] as const) {
  test(`SIGTERM while ${transport} clients stream: everything dies, nothing is left a zombie, exit 0`, async () => {
    const { entry, env } = newMarker(`sigterm-${transport}`);
    markers.push(entry);
    guard.trackMarker(entry);
    const daemon = await DaemonProcess.start({ transport, args: ["--log-level", "error"] });
    try {
      const clients =
        transport === "stdio"
          ? [new ProtocolClient(stdioWire(daemon), { keepOutput: false })]
          : await Promise.all([0, 1].map(async () => new ProtocolClient(await openWebSocketWire(daemon.url!), { keepOutput: false })));
      for (const [index, client] of clients.entries()) {
        await client.handshake(`sigterm-${index}`);
        await startFamily(client, env, `c${index}-`);
      }
      const everyone = procsWithEnv(entry).map((proc) => proc.pid);
      expect(everyone.length).toBeGreaterThanOrEqual(6 * clients.length); // children and grandchildren
      const cgroup = `/sys/fs/cgroup/unified/exec-server-${daemon.pid}`;
      const usedCgroup = existsSync(cgroup);

      daemon.proc.kill("SIGTERM");
      expect(await within(daemon.exited(), 10_000)).toBe(0);
      for (const client of clients) expect(await within(client.wire.closed, 5_000)).toBeDefined();
      expect((await waitMarkedGone(entry)).map(describeProc)).toEqual([]);
      // An unreaped child would now be a zombie of init, which does not reap here: check each pid is gone.
      expect((await waitReaped(everyone)).map(describeProc)).toEqual([]);
      if (usedCgroup) expect(existsSync(cgroup)).toBe(false);
    } finally {
      await daemon.stop("SIGKILL");
    }
    expect(readProc(daemon.pid)).toBeUndefined();
  });
}
