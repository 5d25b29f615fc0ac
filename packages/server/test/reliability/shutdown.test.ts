import { afterAll, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { DaemonProcess } from "@x/exec-test-kit/daemon.ts";
import { killMarked, waitMarkedGone, waitReaped } from "@x/exec-test-kit/leak-check.ts";
import { newMarker } from "@x/exec-test-kit/marker.ts";
import { describeProc, procsWithEnv, readProc } from "@x/exec-test-kit/proc-tree.ts";
import { ProtocolClient } from "@x/exec-test-kit/protocol-client.ts";
import { startFamily } from "@x/exec-test-kit/stream-family.ts";
import { openWebSocketWire, stdioWire } from "@x/exec-test-kit/wire.ts";
import { within } from "@x/exec-test-kit/within.ts";
import { LeakGuard } from "@x/exec-test-kit/leak-guard.ts";

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
