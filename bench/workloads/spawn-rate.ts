import type { Sizes } from "../config.ts";
import { runPool } from "../lib/stats.ts";
import { openTarget } from "../targets/open-target.ts";
import type { TargetSpec } from "../targets/target.ts";
import type { Measurement } from "./measurement.ts";

/** Workload 4: `true` from start to its exit report, one at a time and many in flight. */
export async function measureSpawn(spec: TargetSpec, sizes: Sizes): Promise<Measurement> {
  const target = await openTarget(spec);
  try {
    const pass = async (inFlight: number) => {
      const started = performance.now();
      await runPool(sizes.spawnCount, inFlight, async () => {
        await target.run();
      });
      return sizes.spawnCount / ((performance.now() - started) / 1000);
    };
    await runPool(sizes.spawnInFlight, sizes.spawnInFlight, async () => {
      await target.run();
    }); // warm-up
    const sequential = await pass(1);
    const concurrent = await pass(sizes.spawnInFlight);
    return { metrics: { sequential, concurrent } };
  } finally {
    await target.close();
  }
}
