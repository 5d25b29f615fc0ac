import type { Sizes } from "../config.ts";
import { median } from "../lib/stats.ts";
import { openTarget } from "../targets/open-target.ts";
import type { TargetSpec } from "../targets/target.ts";
import { MiB, type Measurement } from "./measurement.ts";

/** Workloads 1 and 2: MiB/s of output received, from start to the exit report (median of the runs). */
export async function measureThroughput(spec: TargetSpec, sizes: Sizes, expectedBytes: number): Promise<Measurement> {
  const target = await openTarget(spec);
  try {
    const samples: number[] = [];
    let missingBytes = 0;
    // Run 0 warms up the JIT of Bun and Node servers (and of this client); it is not counted.
    for (let rep = 0; rep <= sizes.reps; rep++) {
      const started = performance.now();
      const bytes = await target.run();
      const seconds = (performance.now() - started) / 1000;
      // A short count is reported, not hidden: the rate is of what actually arrived.
      missingBytes = Math.max(missingBytes, expectedBytes - bytes);
      if (bytes > expectedBytes) throw new Error(`received ${bytes} bytes; expected ${expectedBytes}`);
      if (rep > 0) samples.push(bytes / MiB / seconds);
    }
    const warning = missingBytes > 0 ? `lost up to ${missingBytes} of ${expectedBytes} bytes at exit` : undefined;
    return { metrics: { throughput: median(samples) }, details: { samples, bytes: expectedBytes, missingBytes }, warning };
  } finally {
    await target.close();
  }
}
