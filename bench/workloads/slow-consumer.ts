import type { Sizes } from "../config.ts";
import { peakRssMiB, resetPeak, rssMiB, settledServerRss } from "../lib/rss.ts";
import { openTarget } from "../targets/open-target.ts";
import type { TargetSpec } from "../targets/target.ts";
import { MiB, type Measurement } from "./measurement.ts";

/** Workload 6: a child offering far more than a client reading slowly takes; server peak RSS above idle. */
export async function measureSlowConsumer(spec: TargetSpec, sizes: Sizes): Promise<Measurement> {
  const target = await openTarget(spec);
  try {
    const { pid, idle } = await settledServerRss(target.serverPid, "slow consumer");
    const kernelPeak = resetPeak(pid);
    let sampledPeak = idle;
    const sampler = setInterval(() => {
      sampledPeak = Math.max(sampledPeak, rssMiB(pid));
    }, 50);
    const bytes = await target.runThrottled(sizes.slowBytesPerSec, sizes.slowSeconds * 1000);
    clearInterval(sampler);
    const peak = Math.max(sampledPeak, rssMiB(pid), kernelPeak ? peakRssMiB(pid) : 0);
    return {
      metrics: { peakAboveIdle: peak - idle },
      details: { idleMiB: idle, peakMiB: peak, receivedMiB: bytes / MiB, seconds: sizes.slowSeconds },
    };
  } finally {
    await target.close();
  }
}
