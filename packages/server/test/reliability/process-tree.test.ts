import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { tmpdir } from "node:os";
import { DaemonProcess } from "@x/exec-test-kit/daemon.ts";
import { describeLeaks, killMarked, waitDaemonSettled, waitMarkedGone, waitReaped } from "@x/exec-test-kit/leak-check.ts";
import { newMarker } from "@x/exec-test-kit/marker.ts";
import { describeProc, openFds, procsWithEnv } from "@x/exec-test-kit/proc-tree.ts";
import { ProtocolClient } from "@x/exec-test-kit/protocol-client.ts";
import { warmUp } from "@x/exec-test-kit/warm-up.ts";
import { openWebSocketWire } from "@x/exec-test-kit/wire.ts";
import { LeakGuard } from "@x/exec-test-kit/leak-guard.ts";

// No process survives its connection, however it was started: the whole tree
// goes, grandchildren and escapees included, and nothing is left a zombie.

const guard = new LeakGuard();
const markers: string[] = [];
let daemon: DaemonProcess;

beforeAll(async () => {
  daemon = await DaemonProcess.start({ transport: "websocket", args: ["--log-level", "error"] });
  await warmUp(daemon.url!);
  guard.trackDaemon(daemon.pid);
});

afterAll(() =>
  guard.assertCleanAround(async () => {
    for (const entry of markers) killMarked(entry);
    await daemon.stop();
  }),
);

/**
 * Starts `script` under `sh -c` on a fresh connection, waits until `expected`
 * marked processes exist, drops the connection, and checks that every one of
 * them is gone and reaped and the daemon's fds are back.
 */
async function dropAndCheck(label: string, script: string, expected: number, tty: boolean): Promise<void> {
  const { entry, env } = newMarker(label);
  markers.push(entry);
  const fdsBefore = openFds(daemon.pid);
  const wire = await openWebSocketWire(daemon.url!);
  const client = new ProtocolClient(wire, { keepOutput: false });
  await client.handshake(label);
  await client.call("process/start", { processId: label, argv: ["sh", "-c", script], cwd: tmpdir(), env, tty });
  await client.until(() => procsWithEnv(entry).length >= expected, 10_000, `${expected} processes`);
  const pids = procsWithEnv(entry).map((proc) => proc.pid);
  wire.destroy();
  try {
    expect((await waitMarkedGone(entry)).map(describeProc)).toEqual([]);
    // Killed orphans must be reaped too (on this machine init does not reap them).
    expect((await waitReaped(pids)).map(describeProc)).toEqual([]);
    expect(describeLeaks(await waitDaemonSettled(daemon.pid, fdsBefore))).toEqual([]);
  } finally {
    killMarked(entry);
  }
}

for (const tty of [false, true]) {
  describe(tty ? "PTY process" : "pipe process", () => {
    test("grandchildren in the process group", async () => {
      await dropAndCheck(`grandchildren-${tty}`, "sleep 1000 & sleep 1000 & sleep 1000", 3, tty);
    });

    test("a double-forked orphan still in the group", async () => {
      await dropAndCheck(`double-fork-${tty}`, "(sleep 1000 &); sleep 1000", 3, tty);
    });

    test("a setsid escapee in its own session", async () => {
      await dropAndCheck(`setsid-${tty}`, "setsid sleep 1000 & sleep 1000", 3, tty);
    });

    // The daemon steps into the child's cgroup while spawning it, so even an escapee
    // forked in the child's first microseconds is born inside and dies with it.
    // (It used to join only after it started: 3–4 of 20 runs left one alive.)
    test("a double-forked setsid escapee made at once, whose parent exited (20 runs)", async () => {
      for (let run = 0; run < 20; run++) {
        await dropAndCheck(`setsid-orphan-${tty}-${run}`, "(setsid sleep 1000 &); sleep 1000", 3, tty);
      }
    });
  });
}
