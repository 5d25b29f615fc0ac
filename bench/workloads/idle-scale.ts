import type { Sizes } from "../config.ts";
import { rssMiB, settledServerRss } from "../lib/rss.ts";
import { runPool } from "../lib/stats.ts";
import { openTarget } from "../targets/open-target.ts";
import type { Interactive, TargetSpec } from "../targets/target.ts";
import { withTimeout, type Measurement } from "./measurement.ts";

/** Workload 5: server RSS growth per interactive shell held open (prompt printed, then idle). */
export async function measureIdle(spec: TargetSpec, sizes: Sizes): Promise<Measurement> {
  const target = await openTarget(spec);
  try {
    const { pid, idle } = await settledServerRss(target.serverPid, "idle scale");
    const sessions: Interactive[] = [];
    await runPool(sizes.idleShells, 16, async () => {
      let prompt!: () => void;
      const prompted = new Promise<void>((resolve) => (prompt = resolve));
      sessions.push(await target.interactive(() => prompt()));
      await withTimeout(prompted, 30_000, "shell prompt");
    });
    await Bun.sleep(1_000);
    const loaded = rssMiB(pid);
    return {
      metrics: { perShell: (loaded - idle) / sizes.idleShells },
      details: { shells: sizes.idleShells, idleMiB: idle, loadedMiB: loaded },
    };
  } finally {
    // Stopping the server ends every shell it holds.
    await target.close();
  }
}
